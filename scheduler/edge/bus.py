"""The MQTT broker connection (paho-mqtt): reconnecting, resubscribing, with a last will.

Subscriptions are renewed at every connect, so that a broker restarted empty still delivers
to everyone. QoS 1 throughout: a message is delivered at least once, and every handler here
is idempotent (a sync, an emergency by id, a status).
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from playlists.core.db import shown_url

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
MAX_INFLIGHT = 2000  # unacknowledged messages in flight: a city's wards, and room to spare
CONFIRM_S = 5.0  # how long a message that must not be lost waits for the broker's PUBACK


class Bus:
    """One client of the broker at `url`, its handlers called on paho's network thread."""

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        subscriptions: tuple[str, ...] = (),
        on_message: Handler | None = None,
        will: tuple[str, bytes] | None = None,
        keepalive_s: int = 5,
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.url = shown_url(url)
        self.connected = threading.Event()
        self._subscriptions = subscriptions
        self._on_message = on_message
        self._on_connect = on_connect
        # A persistent session: what the broker holds for us while we are away is delivered.
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        if parts.username:
            self.client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
        if parts.scheme == "mqtts":
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        # paho sends at most 20 QoS 1 messages before their acknowledgements come back, and
        # queues the rest: a city's emergency to a hundred wards went out in waves of 20,
        # the last wards' players seconds behind the first. One message per ward at once.
        self.client.max_inflight_messages_set(MAX_INFLIGHT)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self._keepalive = keepalive_s

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until `stop`."""
        self.client.connect_async(self._host, self._port, keepalive=self._keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """Queue a message (QoS 1); False when the client is not connected to the broker."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def deliver(self, topic: str, payload: bytes, *, timeout_s: float = CONFIRM_S) -> bool:
        """Publish (QoS 1) and wait for the broker's acknowledgement: True once the broker has
        the message, False when it is not connected or did not answer in time."""
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(timeout_s)
        except (ValueError, RuntimeError):  # not queued, or dropped with the connection
            return False
        return info.is_published()

    def _connected(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.url, reason)
            return
        for subscription in self._subscriptions:
            client.subscribe(subscription, qos=1)
        self.connected.set()
        log.info("connected to the broker %s", self.url)
        if self._on_connect is not None:
            try:
                self._on_connect()
            except Exception:  # an exception here would end paho's network thread for good
                log.exception("handling the connection to %s failed", self.url)

    def _disconnected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if self.connected.is_set():
            log.warning("lost the broker %s: %s", self.url, reason)
        self.connected.clear()

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._on_message is None:
            return
        try:
            self._on_message(message.topic, bytes(message.payload))
        except Exception:  # a bad message must not stop the network thread
            log.exception("handling a message on %s failed", message.topic)
