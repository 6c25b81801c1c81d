// A fixed-argument wrapper of libcurl for webhook POSTs: Swift cannot call the variadic
// curl_easy_setopt, so every option is set here.
#ifndef ISOMINE_CURL_H
#define ISOMINE_CURL_H
#include <curl/curl.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

// Address ranges a webhook may not reach unless allowed (isomine_address_class's answers).
enum {
    ISOMINE_ADDRESS_PUBLIC = 0,
    ISOMINE_ADDRESS_LOOPBACK = 1,        // 127.0.0.0/8, ::1
    ISOMINE_ADDRESS_PRIVATE = 2,         // 10/8, 172.16/12, 192.168/16, fc00::/7 (unique local), fec0::/10
    ISOMINE_ADDRESS_LINK_LOCAL = 3,      // 169.254/16 (cloud metadata lives there), fe80::/10
    ISOMINE_ADDRESS_UNSPECIFIED = 4,     // 0.0.0.0/8, ::
    ISOMINE_ADDRESS_SHARED = 5,          // 100.64/10 (carrier-grade NAT), 192.0.0.0/24, 198.18/15
    ISOMINE_ADDRESS_MULTICAST = 6,       // 224/4, 240/4 (reserved, broadcast), ff00::/8
    ISOMINE_ADDRESS_NOT_IP = 7           // a socket family other than IPv4 and IPv6
};

/// The class of an IPv4 address given in host byte order.
static inline int isomine_ipv4_class(uint32_t a) {
    uint32_t b1 = a >> 24, b2 = (a >> 16) & 0xff;
    if (b1 == 0) return ISOMINE_ADDRESS_UNSPECIFIED;
    if (b1 == 127) return ISOMINE_ADDRESS_LOOPBACK;
    if (b1 == 10 || (b1 == 172 && (b2 & 0xf0) == 16) || (b1 == 192 && b2 == 168)) return ISOMINE_ADDRESS_PRIVATE;
    if (b1 == 169 && b2 == 254) return ISOMINE_ADDRESS_LINK_LOCAL;
    if ((b1 == 100 && (b2 & 0xc0) == 64) || (a >> 8) == 0xc00000 || (b1 == 198 && (b2 & 0xfe) == 18)) return ISOMINE_ADDRESS_SHARED;
    if (b1 >= 224) return ISOMINE_ADDRESS_MULTICAST;
    return ISOMINE_ADDRESS_PUBLIC;
}

/// The class of an IPv6 address (16 bytes, network order); an IPv4 address embedded in it (mapped
/// ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as IPv4.
static inline int isomine_ipv6_class(const unsigned char *b) {
    static const unsigned char zero[16] = {0};
    static const unsigned char mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
    static const unsigned char nat64[12] = {0,0x64,0xff,0x9b,0,0,0,0,0,0,0,0};
    if (memcmp(b, zero, 16) == 0) return ISOMINE_ADDRESS_UNSPECIFIED;
    if (memcmp(b, zero, 15) == 0 && b[15] == 1) return ISOMINE_ADDRESS_LOOPBACK;
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0 || memcmp(b, nat64, 12) == 0) {
        return isomine_ipv4_class(((uint32_t)b[12] << 24) | ((uint32_t)b[13] << 16) | ((uint32_t)b[14] << 8) | b[15]);
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        return isomine_ipv4_class(((uint32_t)b[2] << 24) | ((uint32_t)b[3] << 16) | ((uint32_t)b[4] << 8) | b[5]);
    }
    if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)) return ISOMINE_ADDRESS_PRIVATE;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return ISOMINE_ADDRESS_LINK_LOCAL;
    if (b[0] == 0xff) return ISOMINE_ADDRESS_MULTICAST;
    return ISOMINE_ADDRESS_PUBLIC;
}

/// The connect-time address policy of one transfer (curl's open-socket data).
struct isomine_outbound {
    int allow_private;      // in: 1 allows every address
    int refused_class;      // out: the class of the address refused (0: none)
    char refused[64];       // out: that address, as text
};

/// curl's open-socket callback: runs on every address curl is about to connect to, after name
/// resolution, so a name that resolves to a refused range is caught however it was spelled.
static curl_socket_t isomine_curl_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    struct isomine_outbound *policy = (struct isomine_outbound *)clientp;
    if (policy && !policy->allow_private) {
        int klass = ISOMINE_ADDRESS_NOT_IP;
        if (address->family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&address->addr;
            klass = isomine_ipv4_class(ntohl(in->sin_addr.s_addr));
            if (klass) inet_ntop(AF_INET, &in->sin_addr, policy->refused, sizeof policy->refused);
        } else if (address->family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address->addr;
            klass = isomine_ipv6_class(in6->sin6_addr.s6_addr);
            if (klass) inet_ntop(AF_INET6, &in6->sin6_addr, policy->refused, sizeof policy->refused);
        }
        if (klass) {
            policy->refused_class = klass;
            return CURL_SOCKET_BAD;
        }
    }
    (void)purpose;
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// The response body is not needed: count it and drop it (curl would print it to stdout otherwise).
static size_t isomine_curl_discard(char *ptr, size_t size, size_t nmemb, void *userdata) {
    (void)ptr; (void)userdata;
    return size * nmemb;
}

/// POSTs `body` to `url` with `headers` on handle `h` (reset first). No signals, TLS verification on,
/// no redirects, http and https only, every address checked by `policy` before connecting. Returns the
/// curl code; `errbuf` (CURL_ERROR_SIZE) gets the message.
static inline CURLcode isomine_curl_post(CURL *h, const char *url, struct curl_slist *headers, const char *body,
                                         long body_length, long connect_timeout_ms, long timeout_ms, char *errbuf,
                                         struct isomine_outbound *policy) {
    curl_easy_reset(h);
    errbuf[0] = 0;
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, isomine_curl_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, policy);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body_length);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, isomine_curl_discard);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "isomine-webhooks/1");
    return curl_easy_perform(h);
}

/// The HTTP status of the last transfer (0 if none).
static inline long isomine_curl_status(CURL *h) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/// Seconds the server asked to wait (Retry-After, seconds or HTTP date), or -1.
static inline long isomine_curl_retry_after(CURL *h) {
    curl_off_t wait = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &wait) != CURLE_OK || wait <= 0) return -1;
    return (long)wait;
}
#endif
