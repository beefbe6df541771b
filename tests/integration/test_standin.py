from tests.standin import CANARY_ROWS, standin


def test_standin_official_server_answers_on_loopback_only() -> None:
    with standin() as official:
        assert len(official.canary()) == CANARY_ROWS
        assert official.address and official.gateway and official.address != official.gateway
        assert "connection authorized" in official.log() or "connection received" in official.log()
