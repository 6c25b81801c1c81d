// Which addresses a webhook may reach: loopback, private, link-local, shared and multicast addresses
// are refused unless allowed, so adding an endpoint is not a way to make the worker call the cloud
// metadata service (169.254.169.254) or a service on the worker's own network.
import CCurl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public enum OutboundPolicy {
    /// inet_ntop's NUL-terminated output as a String.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The deployment-wide switch: `ISOMINE_WEBHOOK_ALLOW_PRIVATE=1` in the environment of the worker
    /// (deliveries) and of `webhooks add` (the check when an endpoint is added).
    public static let environmentVariable = "ISOMINE_WEBHOOK_ALLOW_PRIVATE"

    /// True when the environment allows every endpoint to reach private addresses.
    public static func deploymentAllowsPrivate(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        env[environmentVariable] == "1"
    }

    /// How to allow an address the policy refuses.
    static let howToAllow = "webhooks to loopback, private, link-local, shared and multicast addresses are refused; allow them for one endpoint with webhooks add --allow-private-network (the column allow_private_network), or for the deployment with ISOMINE_WEBHOOK_ALLOW_PRIVATE=1"

    /// "a loopback address", … for one of isomine_ipv4_class's answers.
    static func describe(_ klass: Int32) -> String {
        switch Int(klass) {
        case Int(ISOMINE_ADDRESS_LOOPBACK): return "a loopback address"
        case Int(ISOMINE_ADDRESS_PRIVATE): return "a private-network address"
        case Int(ISOMINE_ADDRESS_LINK_LOCAL): return "a link-local address (where cloud metadata services answer)"
        case Int(ISOMINE_ADDRESS_UNSPECIFIED): return "an unspecified (this-host) address"
        case Int(ISOMINE_ADDRESS_SHARED): return "a shared or reserved-for-special-use address"
        case Int(ISOMINE_ADDRESS_MULTICAST): return "a multicast, broadcast or reserved address"
        default: return "not an IP address"
        }
    }

    /// The sentence for a refused address: `host` (as written) and the address it is or resolves to.
    static func refusal(host: String, address: String, klass: Int32) -> String {
        let what = host == address ? "\(address) is" : "\(host) resolves to \(address),"
        return "\(what) \(describe(klass)): \(howToAllow)"
    }

    /// The host of an http(s) URL: user info and port removed, IPv6 brackets removed, percent-decoded.
    static func host(of url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        var authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            if let zone = host.firstIndex(of: "%") { host = host[..<zone] }
        } else {
            host = authority.prefix { $0 != ":" }
        }
        let text = String(host).removingPercentEncoding ?? String(host)
        return text.isEmpty ? nil : text.lowercased()
    }

    /// The class of `host` when it is an IP literal in any notation a resolver accepts (dotted,
    /// decimal 2130706433, octal 0177.0.0.1, hex 0x7f.1, short 127.1, IPv6 with IPv4 inside), or nil
    /// when it is a name.
    static func literal(_ host: String) -> (address: String, klass: Int32)? {
        var v4 = in_addr()
        if inet_aton(host, &v4) != 0 { return classify(v4) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return (host, classify(v6).klass) }
        return nil
    }

    /// An IPv4 address as text, with its class.
    static func classify(_ address: in_addr) -> (address: String, klass: Int32) {
        var a = address
        var text = [CChar](repeating: 0, count: 64)
        inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
        return (OutboundPolicy.text(text), isomine_ipv4_class(UInt32(bigEndian: a.s_addr)))
    }

    /// An IPv6 address as text, with its class (an IPv4 address inside it judged as IPv4).
    static func classify(_ address: in6_addr) -> (address: String, klass: Int32) {
        var a = address
        var text = [CChar](repeating: 0, count: 64)
        inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
        let klass = withUnsafeBytes(of: &a) { isomine_ipv6_class($0.baseAddress?.assumingMemoryBound(to: UInt8.self)) }
        return (OutboundPolicy.text(text), klass)
    }

    /// The addresses `host` resolves to, with their classes; nil when it does not resolve within
    /// `seconds` (the check is then left to each delivery's connect-time one).
    static func resolve(_ host: String, within seconds: Double = 3) -> [(address: String, klass: Int32)]? {
        final class Answer: Sendable { let value = Mutex<[(address: String, klass: Int32)]?>(nil); let done = DispatchSemaphore(value: 0) }
        let answer = Answer()
        Thread {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            if getaddrinfo(host, nil, &hints, &list) == 0 {
                var found = [(address: String, klass: Int32)]()
                var p = list
                while let a = p {
                    if a.pointee.ai_family == AF_INET, let sa = a.pointee.ai_addr {
                        found.append(sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { classify($0.pointee.sin_addr) })
                    } else if a.pointee.ai_family == AF_INET6, let sa = a.pointee.ai_addr {
                        found.append(sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { classify($0.pointee.sin6_addr) })
                    }
                    p = a.pointee.ai_next
                }
                freeaddrinfo(list)
                answer.value.withLock { $0 = found }
            }
            answer.done.signal()
        }.start()
        guard answer.done.wait(timeout: .now() + seconds) == .success else { return nil }
        return answer.value.withLock { $0 }
    }

    /// Refuses an endpoint URL whose host is, or resolves to, an address the policy refuses (unless
    /// `allowPrivate`). A name that does not resolve now is accepted: every delivery checks the
    /// address it connects to.
    public static func check(url: String, allowPrivate: Bool) throws {
        if allowPrivate { return }
        guard let host = host(of: url) else { throw WebhookError("URL: no host in '\(url)'") }
        if host == "localhost" || host.hasSuffix(".localhost") {
            throw WebhookError("URL: \(host) is a loopback name: \(howToAllow)")
        }
        if let (address, klass) = literal(host) {
            if klass != 0 { throw WebhookError("URL: " + refusal(host: host, address: address, klass: klass)) }
            return
        }
        if let refused = resolve(host)?.first(where: { $0.klass != 0 }) {
            throw WebhookError("URL: " + refusal(host: host, address: refused.address, klass: refused.klass))
        }
    }
}
