"""Stage 2, outcomes: measures per contract, partner and borough, year-on-year change, status
against target, gaps in provision and council spend (`stage.run_compute_stage`)."""
