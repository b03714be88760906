"""A fake SCIM 2.0 service provider (RFC 7644): /Users read, filtered and paged."""
