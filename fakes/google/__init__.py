"""A fake of Google's OAuth token endpoint (JWT grant) and the Admin SDK Directory API's users."""
