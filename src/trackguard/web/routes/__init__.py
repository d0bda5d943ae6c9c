"""One router per area of the site; `trackguard.web.app` mounts them."""

# Pages and checks answer HEAD too (RFC 9110 §9.3.2): link checkers and monitors use it.
READ = ["GET", "HEAD"]
