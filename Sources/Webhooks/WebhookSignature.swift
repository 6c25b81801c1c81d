// Standard Webhooks signing: whsec_ secrets and `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
import Postgres
import Crypto
import Foundation

/// A webhook signing secret (`whsec_` + base64 of the key bytes).
public struct WebhookSecret: Sendable, Equatable {
    public let text: String
    let key: [UInt8]

    /// Parses `whsec_…`; the key must be 24 to 64 bytes.
    public init(_ text: String) throws {
        guard text.hasPrefix("whsec_"), let key = Data(base64Encoded: String(text.dropFirst(6))), (24...64).contains(key.count) else {
            throw WebhookError("--secret: must be whsec_ followed by the base64 of 24 to 64 random bytes")
        }
        self.text = text
        self.key = [UInt8](key)
    }

    /// A new random secret (32 bytes).
    public static func generate() -> WebhookSecret {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        return try! WebhookSecret("whsec_" + Data(bytes).base64EncodedString())
    }

    /// The `webhook-signature` header value for one attempt.
    public func signature(id: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// A webhook problem (bad input or a failed delivery), one line.
public struct WebhookError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
