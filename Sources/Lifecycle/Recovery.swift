import DepmodIndex
import StateStore
import SystemPackage
import SystemSupport

/// Finishes what an interrupted kmodmgr left behind, under the state lock, before any command goes on:
/// - an install whose record was committed is finished; one that was not is undone from its journal;
/// - an uninstall is completed (its record is removed before its first file is touched);
/// - what a killed kmodmgr left besides — temp files, partial build results, build scratch copies, staging
///   directories no journal names — is removed, and said in a note (`LeftoverSweep`);
/// - every kernel marked for re-indexing is indexed again.
/// Afterwards the state tree, the files under `lib/modules` and each kernel's index agree, and nothing of an
/// interrupted kmodmgr is left lying around.
enum Recovery {
    /// For commands that only read (`status`): finishes interrupted work when no other kmodmgr is running, so what
    /// they show is settled. Returns false when another kmodmgr holds the lock (its work is in progress, not
    /// interrupted).
    static func finishIfIdle(context: LifecycleContext) throws(LifecycleError) -> Bool {
        guard hasWork(context: context) else { return true }
        var idle = context
        idle.contention = .fail
        do {
            let lock = try idle.exclusive()
            lock.release()
            return true
        } catch {
            if case .lock(.busy) = error { return false }
            throw error
        }
    }

    /// Whether an interrupted kmodmgr left anything to finish or remove (cheap when nothing is: a few directory
    /// listings and the install records).
    static func hasWork(context: LifecycleContext) -> Bool {
        context.state.hasUnfinishedWork || !LeftoverSweep.find(context: context, journals: []).isEmpty
    }

    static func finishInterrupted(context: LifecycleContext) throws(LifecycleError) {
        let state = context.state
        guard hasWork(context: context) else { return }
        let journals: [Journal]
        do {
            journals = try state.journals()
        } catch {
            throw .state(error)
        }
        for journal in journals {
            try finish(journal, context: context)
        }
        // After the journals (their staging goes with them), before the re-index (which need not wait for it).
        LeftoverSweep.sweep(context: context, journals: journals)
        try Reindexing.reindexMarked(context: context)
    }

    private static func finish(_ journal: Journal, context: LifecycleContext) throws(LifecycleError) {
        let state = context.state
        let label = "\(journal.package)/\(journal.version)"
        let transaction = Transaction(journal: journal, root: context.root)
        do throws(StateError) {
            switch journal.action {
            case .install:
                let record = try state.installed(journal.package, journal.version, release: journal.release, arch: journal.arch)
                if record?.transaction != journal.transaction {
                    if let failure = transaction.undo() {
                        throw StateError.system(failure)
                    }
                    context.diagnostics.note("rolled back the interrupted install of \(label) for \(journal.release)")
                }
            case .uninstall:
                try state.removeInstallRecord(journal.package, journal.version, release: journal.release, arch: journal.arch)
                do throws(SystemError) {
                    try transaction.apply()
                } catch {
                    throw StateError.system(error)
                }
                context.diagnostics.note("completed the interrupted uninstall of \(label) for \(journal.release)")
            }
            try state.finish(journal)
        } catch {
            throw .transactionFailed(
                package: label, release: journal.release, reason: "cannot finish an interrupted \(journal.action.rawValue): \(error)")
        }
    }
}

/// Rebuilds kernels' indexes with kmodmgr's own depmod, incrementally (the parse cache rereads only changed
/// modules). A kernel is marked in the state tree before its files change and unmarked once its index is
/// published, so an index left behind by a crash is always caught up by the next command.
enum Reindexing {
    /// The end of every mutating command: index the kernels it changed, then regenerate the initramfs images its
    /// transactions made stale.
    static func finishCommand(context: LifecycleContext) async throws(LifecycleError) {
        await context.postRemoveDemand.runAll(context: context)
        try reindexMarked(context: context)
        await InitramfsRegeneration.regenerateStale(context: context)
    }

    static func reindexMarked(context: LifecycleContext) throws(LifecycleError) {
        for release in context.state.releasesToReindex() {
            try reindex(release: release, context: context)
        }
    }

    static func reindex(release: String, context: LifecycleContext) throws(LifecycleError) {
        var request = DepmodRequest(root: context.root, kernelRelease: release)
        request.keepUnchangedFiles = true
        request.preparation = context.indexPreparations.take(release)
        if FileTree.isDirectory(request.moduleDirectory) {
            do {
                // depmod's warnings (a missing modules.order in a fresh kernel directory…) are steps' details here:
                // reported with --verbose, as depmod itself would print them.
                let warnings = CollectingDiagnosticSink()
                let index = try Depmod.run(request, sink: warnings)
                for warning in warnings.diagnostics { context.step("\(release): depmod: \(warning)") }
                let made = IndexFile.allCases.filter(index.wasMade).map(\.rawValue)
                context.step(
                    "\(release): index updated, \(index.moduleCount) modules (\(index.modulesRead) read); written: "
                        + (made.isEmpty ? "none (all unchanged)" : made.joined(separator: ", ")))
            } catch {
                throw .indexing(release: release, reason: error.description)
            }
        }
        FaultInjection.point("after re-indexing, before the marker is cleared")
        do {
            try context.state.clearReindex(release: release)
        } catch {
            throw .state(error)
        }
    }
}
