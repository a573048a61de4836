from facturier.platforms.client import DirectoryClient, FlowClient


def test_smoke(connection, simulator, checked):
    with FlowClient(connection) as flows:
        flows.health()
        page = flows.search(limit=5)
        assert page.flows == []
    with DirectoryClient(connection) as directory:
        lines = directory.lines_for_siren("884123456")
        assert lines[0].siren == "884123456"
    assert checked.checked == 3
