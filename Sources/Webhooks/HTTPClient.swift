// The libcurl easy handle of one dispatcher thread: created once, reused for every POST, freed in deinit.
import Postgres
import CCurl
import Foundation

/// What one POST got back.
public struct HTTPResponse: Sendable {
    /// HTTP status (0 when no response arrived).
    public var status: Int
    /// Seconds the receiver asked to wait (Retry-After), if it did.
    public var retryAfter: Double?
    /// Transport error (connect refused, timeout, TLS), nil when a response arrived.
    public var error: String?
    public var seconds: Double
}

/// A blocking HTTP client for webhook POSTs. Not Sendable: one per thread.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    public var connectTimeout: Double
    public var timeout: Double

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(connectTimeout: Double = 5, timeout: Double = 15) throws {
        _ = HTTPClient.globalInit
        guard let h = curl_easy_init() else { throw WebhookError("libcurl: cannot create a handle") }
        handle = h
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    deinit { curl_easy_cleanup(handle) }

    /// POSTs `body` with `headers` ("Name: value"). Blocking: call it from a thread of its own. Unless
    /// `allowPrivateNetwork`, an address the outbound policy refuses is not connected to (checked on
    /// each address curl is about to connect to, after resolution) and the error names the rule.
    public func post(url: String, headers: [String], body: String, allowPrivateNetwork: Bool = false) -> HTTPResponse {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for h in headers { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let started = Date()
        // JSON text has no NUL bytes, so its C string and its UTF-8 length describe the same bytes.
        let length = body.utf8.count
        var policy = isomine_outbound()
        policy.allow_private = allowPrivateNetwork ? 1 : 0
        let code = body.withCString { p in
            isomine_curl_post(handle, url, list, p, length, Int(connectTimeout * 1000), Int(timeout * 1000), &errbuf, &policy)
        }
        let seconds = Date().timeIntervalSince(started)
        if code != CURLE_OK && policy.refused_class != 0 {
            let address = withUnsafeBytes(of: policy.refused) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let host = OutboundPolicy.host(of: url) ?? url
            return HTTPResponse(status: 0, retryAfter: nil, error: "refused: " + OutboundPolicy.refusal(host: host, address: address, klass: policy.refused_class),
                                seconds: seconds)
        }
        if code != CURLE_OK {
            let detail = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return HTTPResponse(status: 0, retryAfter: nil, error: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, seconds: seconds)
        }
        let wait = isomine_curl_retry_after(handle)
        return HTTPResponse(status: isomine_curl_status(handle), retryAfter: wait >= 0 ? Double(wait) : nil, error: nil, seconds: seconds)
    }
}
