"""Evidence answered where the reminder arrived: replies by WhatsApp, Telegram or
e-mail matched to their checkpoint and submitted through the one evidence service
(``monev.engine.evidence``). Provider payloads and downloads: ``notifiers.providers``;
webhook routes: ``portal.webhooks``."""
