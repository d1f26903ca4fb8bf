"""The web app: pages for officials and a report form for communes without a local system.

A fifth process beside the four services. It holds no data of its own except the embedded
default's local accounts, and reads and writes only through the services' public APIs with the
signed-in person's token, so every page is scoped exactly as the API is (ADR 0021).
"""
