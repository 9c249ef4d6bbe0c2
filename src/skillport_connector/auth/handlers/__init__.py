"""One small handler class per endpoint of the authorization server, over
:class:`~skillport_connector.auth.oauth.OAuthServer`; :mod:`..web` assembles the routes."""
