"""Gateways: asyncio servers that speak the device protocols, and the batch writer behind them."""
