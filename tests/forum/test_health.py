import socket

import pytest
from channels.layers import channel_layers


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_answers_200_when_database_and_channel_layer_answer(anonymous_client):
    response = anonymous_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": True, "channel_layer": True}


@pytest.fixture
def unreachable_channel_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port()}/0"]},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_healthz_answers_503_when_the_channel_layer_is_down(
    anonymous_client, unreachable_channel_layer
):
    response = anonymous_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] is False
    assert response.json()["checks"]["database"] is True
