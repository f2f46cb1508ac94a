"""Dead letters as the console reads them, and what operators did with them, recorded in the database of the
service that owns them.

A dead letter is known by its coordinates on the `<topic>.dlq` topic (`DeadLetterId`). The service consuming the
original topic (`topics.owner_of`) wrote it, so that service's database records what was done with it: once,
because the coordinates are the primary key of `dead_letter_actions` (common-003). The console only reads it
(`guichet dlq list|show`, `guichet status`): replaying and discarding are the owning service's, when it applies the
back-office's command (guichet_common.dead_letter_actions, guichet_common.operator_commands).
"""

from __future__ import annotations

from guichet_common.dead_letter_actions import DeadLetter, DeadLetterAction, DeadLetterId, recorded_actions

__all__ = ["DeadLetter", "DeadLetterAction", "DeadLetterId", "recorded_actions"]
