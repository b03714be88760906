"""A fake of Box's API: the client credentials grant and the users endpoints."""
