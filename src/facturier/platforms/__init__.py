"""The 2026 reform: approved platforms (PA, AFNOR XP Z12-013 flow and directory services), routing,
life-cycle statuses (CDAR), e-reporting and Chorus Pro; with the simulators the demo and the tests use."""
