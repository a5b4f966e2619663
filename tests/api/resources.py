"""Every record kind's test class, for tests that run the same check on all of them."""

from . import test_companies, test_events, test_provenance

RESOURCES = [
    test_companies.TestCompanies,
    test_companies.TestProducts,
    test_companies.TestPeople,
    test_companies.TestPlatforms,
    test_events.TestPartnerships,
    test_events.TestFundingRounds,
    test_events.TestInvestments,
    test_events.TestMetricTypes,
    test_events.TestMetrics,
    test_events.TestEvents,
    test_provenance.TestSources,
    test_provenance.TestCitations,
]
