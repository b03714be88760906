"""A fake of Microsoft Graph users and the identity platform's client credentials grant."""
