import KmodmgrCLI

await KmodmgrMain.main()
