"""Screen state of the resident app: plain classes the views drive, testable without a browser."""
