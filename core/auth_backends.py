"""Login throttling (django-axes) for every sign-in that comes with an HTTP request."""

from axes.backends import AxesStandaloneBackend


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' check, except for ``authenticate()`` calls without a request (the shell, the test client's
    ``login()``): there is no client to throttle, and ModelBackend still checks the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
