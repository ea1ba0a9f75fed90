"""Per service: its operations' IAM actions and resources (the Service Authorization
Reference), read by ``auth/generic_authz.py``."""
