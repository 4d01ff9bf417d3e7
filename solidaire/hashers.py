"""Password hashing: Argon2id with OWASP's recommended parameters.

Django's default Argon2 (m=100 MiB, t=2, p=8) costs about 100 MiB and, on a small server,
hundreds of milliseconds per login: twenty people logging in together queue behind each
other. OWASP's Password Storage Cheat Sheet recommends Argon2id with, at least, one of a set
of equivalent parameters; we use its first line: m=19 MiB (19,456 KiB), t=2, p=1.

The algorithm name stays ``argon2``: hashes made with Django's defaults still verify (the
parameters are read from the hash) and ``must_update`` re-hashes them with these parameters
at the next successful login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
