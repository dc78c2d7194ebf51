import KmodmgrCLI

KmodmgrMain.main()
