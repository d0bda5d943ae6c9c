"""The Traccar API's response shapes as pydantic models: the OpenAPI document's
schemas, and what the tests validate the real responses against (extra fields
forbidden both ways, so the document and the answers cannot drift apart)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# "2026-05-01T08:00:00.000Z": UTC, milliseconds, as Traccar writes times.
Time = str


class TraccarModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Server(TraccarModel):
    id: int
    registration: bool
    readonly: bool
    deviceReadonly: bool
    limitCommands: bool
    map: str | None
    bingKey: str | None
    mapUrl: str | None
    poiLayer: str | None
    latitude: float
    longitude: float
    zoom: int
    twelveHourFormat: bool
    version: str
    forceSettings: bool
    coordinateFormat: str | None
    openIdEnabled: bool
    openIdForce: bool
    attributes: dict[str, Any]


class User(TraccarModel):
    id: int
    name: str
    email: str
    phone: str | None
    readonly: bool
    administrator: bool
    map: str | None
    latitude: float
    longitude: float
    zoom: int
    twelveHourFormat: bool
    coordinateFormat: str | None
    disabled: bool
    expirationTime: Time | None
    deviceLimit: int
    userLimit: int
    deviceReadonly: bool
    limitCommands: bool
    fixedEmail: bool
    poiLayer: str | None
    attributes: dict[str, Any]


class Device(TraccarModel):
    id: int
    name: str
    uniqueId: str = Field(description="The tracker's IMEI (its owner's own data).")
    status: str = Field(description="online, offline or unknown (never reported).")
    disabled: bool
    lastUpdate: Time | None
    positionId: int = Field(description="The latest position's id; 0 when there is none.")
    groupId: int
    calendarId: int
    phone: str | None
    model: str | None
    contact: str | None
    category: str | None
    expirationTime: Time | None
    attributes: dict[str, Any]


class Position(TraccarModel):
    id: int = Field(description="device id << 32 | fix time in UTC seconds.")
    deviceId: int
    protocol: str
    serverTime: Time
    deviceTime: Time
    fixTime: Time
    outdated: bool
    valid: bool
    latitude: float
    longitude: float
    altitude: float = Field(description="Metres.")
    speed: float = Field(description="Knots.")
    course: float = Field(description="Degrees from north.")
    address: str | None
    accuracy: float
    network: dict[str, Any] | None
    geofenceIds: list[int] | None
    attributes: dict[str, Any]


class Geofence(TraccarModel):
    id: int
    name: str
    description: str | None
    area: str = Field(description="CIRCLE (lat lon, radius) or POLYGON ((lat lon, ...)).")
    calendarId: int
    attributes: dict[str, Any]


class Event(TraccarModel):
    id: int
    type: str
    eventTime: Time
    deviceId: int
    positionId: int
    geofenceId: int
    maintenanceId: int
    attributes: dict[str, Any]


class Trip(TraccarModel):
    deviceId: int
    deviceName: str
    startTime: Time
    endTime: Time
    startLat: float
    startLon: float
    endLat: float
    endLon: float
    startPositionId: int
    endPositionId: int
    distance: float = Field(description="Metres.")
    duration: int = Field(description="Milliseconds.")
    maxSpeed: float = Field(description="Knots.")
    averageSpeed: float = Field(description="Knots.")
    startAddress: str | None
    endAddress: str | None


class Stop(TraccarModel):
    deviceId: int
    deviceName: str
    startTime: Time
    endTime: Time
    duration: int = Field(description="Milliseconds.")
    latitude: float
    longitude: float
    positionId: int
    address: str | None


class Summary(TraccarModel):
    deviceId: int
    deviceName: str
    startTime: Time
    endTime: Time
    distance: float = Field(description="Metres.")
    averageSpeed: float = Field(description="Knots.")
    maxSpeed: float = Field(description="Knots.")
    engineHours: int | None = Field(default=None, description="Milliseconds.")
