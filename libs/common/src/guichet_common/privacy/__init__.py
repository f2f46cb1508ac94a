"""Personal data: what each service holds (inventory), how it is sealed on internal topics (sealing, keyring), and
the pieces every service shares to keep it no longer than its programme's retention rules allow.

The shape (docs/privacy.md is the register generated from the services' inventories):

- Contact fields (name, e-mail, phone) and bank fields (IBAN, BIC, holder) cross the internal topics *sealed*:
  AES-256-GCM under a data key per claim and kind (`contact`, `bank`), bound to the claim by the associated data.
  Intake makes a claim's keys when it registers the claim, keeps them wrapped by the master key, and announces
  them on the compacted `privacy.claim-keys.v1`; the services that must read the fields (notifications, payments,
  the back-office) keep a copy. Destroying a claim's key (in the owner's table, in every copy, and by a tombstone
  on the key topic) leaves every sealed copy on every topic, replica and backup unreadable: crypto-shredding.
  Payments seals the SEPA files it announces the same way, under a key per batch.
- Notifications follows every claim to its final status: it runs the programme's retention clock, and announces
  each erasure on `privacy.erased.v1`; intake then destroys the keys, and every service erases its own copy and
  announces that too. An erasure asked by a person goes the same way, and is refused (and recorded) while the claim
  is under review or control, or its payment is under way.
- The external contract topics stay plaintext by contract; they get a bounded retention (`topics.py`).
"""
