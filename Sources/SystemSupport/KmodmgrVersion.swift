/// kmodmgr's version, in one place: `--version` prints it and caches written by one version are ignored by another.
public let kmodmgrVersion = "0.6.0"
