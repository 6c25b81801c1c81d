// A fixed-argument wrapper of libcurl for webhook POSTs: Swift cannot call the variadic
// curl_easy_setopt, so every option is set here.
#ifndef ISOMINE_CURL_H
#define ISOMINE_CURL_H
#include <curl/curl.h>
#include <string.h>

// The response body is not needed: count it and drop it (curl would print it to stdout otherwise).
static size_t isomine_curl_discard(char *ptr, size_t size, size_t nmemb, void *userdata) {
    (void)ptr; (void)userdata;
    return size * nmemb;
}

/// POSTs `body` to `url` with `headers` on handle `h` (reset first). No signals, TLS verification on,
/// no redirects, http and https only. Returns the curl code; `errbuf` (CURL_ERROR_SIZE) gets the message.
static inline CURLcode isomine_curl_post(CURL *h, const char *url, struct curl_slist *headers, const char *body,
                                         long body_length, long connect_timeout_ms, long timeout_ms, char *errbuf) {
    curl_easy_reset(h);
    errbuf[0] = 0;
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
