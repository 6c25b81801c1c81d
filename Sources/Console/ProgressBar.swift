// A one-line progress bar on stderr (only on a terminal), redrawn at most ten times a second.
import Dispatch
import Foundation
import Jobs

public final class ProgressBar {
    public let enabled: Bool
    private var lastDraw: UInt64 = 0
    private let started = DispatchTime.now().uptimeNanoseconds
    private var drawn = false
    private var lastPhase: String?

    public init(enabled: Bool) { self.enabled = enabled }

    public func update(_ p: RunProgress) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        // The last step draws twice: after the step, and after its evaluation (new P@1).
        if let phase = p.phase {
            // An analysis: its phase and, while it is known, how far.
            guard phase != lastPhase || now - lastDraw > 100_000_000 else { return }
            lastPhase = phase
            lastDraw = now
            let seconds = Double(now - started) * 1e-9
            let share = p.fraction.map { String(format: " %3.0f%%", 100 * $0) } ?? ""
            FileHandle.standardError.write(Data(String(format: "\r%@%@  (%.0f s)            ", phase, share, seconds).utf8))
            drawn = true
            return
        }
        guard now - lastDraw > 100_000_000 || p.step == p.totalSteps else { return }
        lastDraw = now
        let width = 30
        let filled = p.totalSteps > 0 ? min(width, width * p.step / p.totalSteps) : 0
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let p1 = p.precisionAt1.map { String(format: "%.3f", $0) } ?? "-"
        let line = String(format: "\r[%@] step %d/%d  loss %.4f  P@1 %@ ", bar, p.step, p.totalSteps, p.loss, p1)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    public func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
