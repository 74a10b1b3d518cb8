"""The audit trail (nhật ký thao tác): who changed what, when and from where, hash-chained."""
