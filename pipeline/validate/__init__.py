"""Stage 1, validate: every row of every return and spend file ends clean, quarantined with a
reason, or superseded (`stage.run_validate_stage`). Also the reviewer's page and sign-off, the
returns checklist and the returns templates partners fill in."""
