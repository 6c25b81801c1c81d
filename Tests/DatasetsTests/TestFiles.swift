// A temporary folder (TestSupport) as a data root.
import Foundation
import TestSupport
@testable import Datasets

extension TempFolder {
    /// The folder as a data root.
    var root: DataRoot { DataRoot(path: path) }
}
