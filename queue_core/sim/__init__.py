"""The branch-day simulator: scenarios as data, a discrete-event day that drives the engine's
own routing and wait-estimate rules, and the reports that compare policies and estimators."""
