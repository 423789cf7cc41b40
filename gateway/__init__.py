"""seguimiento: a real-time follow-up tracker for sales call centres.

The database (stored procedures, the sweep EVENT, outbox and history) is the system; this
package is its thin gateway and its command-line tools.
"""

__version__ = "0.1.0"
