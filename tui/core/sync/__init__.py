"""Offline replicas and `desk clone` / `desk sync` (issue 14): operations, their exchange over
ssh, and the merge of a replica's work into the team's store. Nothing is here yet."""
