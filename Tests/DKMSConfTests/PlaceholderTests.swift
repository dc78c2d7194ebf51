import Testing
@testable import DKMSConf
