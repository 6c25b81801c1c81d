// The dispatcher's metrics, recorded through swift-metrics (exported by the worker's --metrics-address).
import Postgres
import CoreMetrics

enum WebhookMetrics {
    /// One webhook attempt: its outcome (delivered, retrying, dead, gone) and latency.
    static func delivery(_ outcome: String, seconds: Double) {
        Counter(label: "isomine_webhook_deliveries_total", dimensions: [("outcome", outcome)]).increment()
        Timer(label: "isomine_webhook_delivery_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    static func reconnected() { Counter(label: "isomine_reconnects_total", dimensions: [("connection", "webhooks")]).increment() }
}
