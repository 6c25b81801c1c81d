// The worker's webhook dispatcher thread, with a stop that lets a request in flight finish.
import Foundation
import Logging
import Postgres
import Synchronization

/// Runs `WebhookLoop` on a thread of its own. `stopAndJoin` stops it between deliveries and waits
/// for it: a POST in flight is finished and its outcome recorded before the process exits. (Exiting
/// with it in flight left its claim to expire, and another worker posted the same message again.)
public final class WebhookDispatcherThread: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    /// Longest a single delivery can take: connect timeout + request timeout + recording it.
    public let longestDelivery: Double
    private let schedule: DeliverySchedule
    private let timeout: Double
    private let logger: Logger
    private let shuttingDown: @Sendable () -> Bool

    /// `timeout` is the request timeout (`--webhook-timeout`); connecting takes at most min(5, timeout).
    public init(schedule: DeliverySchedule, timeout: Double, logger: Logger, shuttingDown: @escaping @Sendable () -> Bool) {
        self.schedule = schedule
        self.timeout = timeout
        self.logger = logger
        self.shuttingDown = shuttingDown
        longestDelivery = timeout + min(5, timeout) + 5
    }

    /// Starts the thread; `connect` opens its database connection (again after a loss).
    public func start(connect: @escaping @Sendable () throws -> PGConnection) {
        Thread { [self] in
            WebhookLoop.run(schedule: schedule, timeout: timeout, logger: logger,
                            shuttingDown: { self.shuttingDown() || self.stopping.load(ordering: .acquiring) }, connect: connect)
            finished.store(true, ordering: .releasing)
        }.start()
    }

    /// True once the thread has returned.
    public var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Asks the thread to stop after the delivery it is sending, and waits for it (at most
    /// `longestDelivery` seconds); false if it is still running then.
    @discardableResult
    public func stopAndJoin() -> Bool {
        stopping.store(true, ordering: .releasing)
        let deadline = Date().addingTimeInterval(longestDelivery)
        while !isFinished && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return isFinished
    }
}
