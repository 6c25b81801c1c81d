-- Outbound address policy (issue 20): a webhook endpoint may reach loopback, private, link-local and
-- other non-public addresses only when allowed, for itself (this column, `webhooks add
-- --allow-private-network`) or for the whole deployment (ISOMINE_WEBHOOK_ALLOW_PRIVATE=1 in the
-- worker's environment). The worker checks the address it is about to connect to, after resolution.
ALTER TABLE isomine.webhook_endpoints ADD COLUMN allow_private_network boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN isomine.webhook_endpoints.allow_private_network IS
    'true: deliveries may connect to loopback, private, link-local, shared and multicast addresses (refused by default)';
