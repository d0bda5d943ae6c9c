"""Watch-protocol frames decode as the 3G watch protocol and Traccar read them.

Frames come from Traccar's WatchProtocolDecoderTest and WatchFrameDecoderTest
(traccar/traccar), which quote real watches and the protocol document's own example
(`[SG*8800000015*0087*UD,220414,...]`). Expected values were read off the text.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_decoded
from invariants import run_stream as run_stream_through

from trackguard.protocols import watch
from trackguard.protocols.base import Alarm, Decoded, PositionReport, ProtocolError, Session
from trackguard.protocols.watch import SPEC

DOCUMENT_EXAMPLE = (
    b"[SG*8800000015*0087*UD,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,"
    b"1000,50,0000,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]"
)
# Real watches; the first, second and fourth buffers of Traccar's WatchFrameDecoderTest.
STREAM = (
    b"[3G*9705141740*0009*LK,0,0,53]"
    b"[3G*9705141740*005A*UD,190723,190707,A,36.815109,N,10.1792312,E,8.24,127.9,21.0,5,100,53,"
    b"0,0,00000000,0,0,58.0]"
    b"[3G*9705141740*0003*TKQ]"
    b"[3G*9705141740*0009*LK,0,0,53]"
)
WIFI_NAME_WITH_BRACKETS = (
    b"[3G*880900242*013D*UD,120623,140020,A,48.949273,N, 4.3783060,E,18.56,43.8,0.0,12,100,76,"
    b"226120,0,00000000,2,255,204,8,3110,55025,146,3130,49297,124,5,BangingWifi,"
    b"34:a1:ed:e1:91:4f,-71,BAR WiFi,36:a2:e1:ed:a1:de,-72,NetworkWifi,26:de:a1:ed:e1:a0,-73,"
    b"Fiber,36:a1:ed:e1:91:4f,-75,[LG_Wall-Mount A/C]e725,66:a1:ed:e1:e7:25,-82,15.0]"
)
ZJ_LINK = b"[ZJ*014111001350304*0034*0009*LK,0,0,19]"
# One chunk of a voice message (JXTK, 1081 bytes as sent, binary escaped with 0x7D).
JXTK_CHUNK = bytes.fromhex(
    "5b5a4a2a3738393436383035303034323639322a303033342a303433392a4a58544b2c302c77617463685f37"
    "5f32303232303532363039333935342c312c362c2321414d520a0c0a3c3f96d98367e9468ea245320c0a3c3f"
    "96d98367e9468ea245320c0a3c3f96d98367e9468ea245320c389814ffcd762fe49d50ae7a2e0cb528aefbf7"
    "6911df05c2fbe17d050c2200cff77ef0df4d9b4ab9a4340c449814dbe7c63fa82bc3750d800cc48abbffddb0"
    "df8e8fda95e5980c49982ff6cf65f9377d02a39c3aaa0c389805f2ff42c1b80e0a0eb1dc0c2998e9defe15cf"
    "a3bdbe80d3540c7298c2f6d9239e3eae3c4a81660c490034dbfd513fedad0c2fc3900cc40039b7f71bb0657b"
    "a75558c40cd7813b97ff7219777ec7f401260c7d040003bff6f75fdb898a6ba1140cecd127f7f83357cb73a6"
    "8a5f680cb081d4f6e749e6af8ed367bc480cec1815dfffd2dbed358112af320ccc21179fffbd17a3a61c133b"
    "380c920047defc72a784770ec0fe400c383c42f6faebe76fa736e9d1be0c4918e7decddc67ec9afd87ff220c"
    "c418e6bffe6cf6c9ac1f83c3900ca6cad1ffe3da24e1be3b547d03c00c6b00b8fee77f60a76d3e7d0292e20c"
    "2918b7bfff76387b793d3a36300c7d0400b7fff7f63ae513ac6f74de0c980016fbff7d01f9b30fca67c7220c"
    "aa982ff6dbd7bf3d8dfed143ec0c44982fdfcb7b517e26f6ea52420c0ed19cfedb438f179d3fc50ec40c008a"
    "d2ffff635fe28dc1ec1f860c76cb7d05bffda53eaebe4d201ae20ccccaffbbfd3db4abb6ddf39d0e0c6b00ac"
    "feff406fe4a12661caf80c76982fbffffeb17b2f65472f300c7d04c24bf6ef1b10e47f73fc10b40c76036cfe"
    "cd4e7837145a6a8e900ccccaf2beeba36fbaa36feb60640c7d0400dfffff73bfa3b87d0256a1700c7d04e4ef"
    "d6efc23b651eb73e77780ccc1813ffffb39f6baa6f3195080c00007afffee0b9df6346ca08d00c6bca7d04fe"
    "ff4d64a7b56f9855da0c769819fbfd954ea5bd7d040ba6420c4c4c09bfffd5f6c57d01930e7d01220cc48a22"
    "dffe30bfcbaf08a795140c7d040433b7ff3cba5f3e336a40060cecbd2bfaf775bea7bde7e095ee0cc4caaef7"
    "fb623feeaab69eabc20c8c0021bffd1ea4a1b090175a920c7d046445fbdfc1abe910b0ca56160c7d0440cbd7"
    "ef03893c7f7d02e1a8c20c85e42dff5fdaa145759d326b5a0ccc4084f75f8eeb7b15e4eb4ff80c6bc22ef7d7"
    "eaf8df3b8ff678cc0cca4026f3cf7518fd731ceca3560cec041ffbe7655eaf822f04c4fe0c7d0478e3fbfcb5"
    "dfc8a81fdbb9e20cc418e6d7ff777f26affe37cc020cd7977cbff7d0aecb9727be6a0c0c00bde1f2d797fc87"
    "54ed09d4ae0cc498279f7e729fcb9eff70c1a60c7d0478e5bfffc67eef953fda69aa0c7200f1bbf7e891ef5a"
    "287cb5b80c983629fee5555f739f8a29279a0c76d103bef73f55a6bf89ba8ce40cc46424f6ded9a194167a06"
    "7d05880cc4780efeffc37fae944d89bfb40c4464bffffb6dd54e8344394a5c0c49781ffffc653feaa31af59a"
    "c00cc464cebfd76ae4e8a55d"
)


def decode(frame: bytes, session: Session | None = None) -> Decoded:
    decoded = watch.decode(frame, session or Session())
    check_decoded(decoded)
    return decoded


def position(frame: bytes) -> PositionReport:
    (report,) = decode(frame).positions
    assert report.protocol == "watch"
    return report


def at(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def run_stream(data: bytes, session: Session) -> list[Decoded]:
    return run_stream_through(SPEC, data, session)


# --- positions ------------------------------------------------------------------------


def test_protocol_document_example_decodes_despite_its_miscounted_length() -> None:
    decoded = decode(DOCUMENT_EXAMPLE)
    assert decoded.kind == "position" and decoded.ack is None
    assert decoded.device_key == "8800000015"
    assert decoded.attributes == {"lengthMismatch": True}  # 0x87 declared, 143 sent
    (report,) = decoded.positions
    assert report.time == at(2014, 4, 22, 13, 46, 52) and report.valid is True
    assert (report.latitude, report.longitude) == (22.571707, 113.8613968)
    assert (report.speed, report.course, report.altitude) == (0.1, 0.0, 100.0)
    assert (report.satellites, report.battery, report.alarm) == (7, 90.0, None)
    assert report.attributes == {"type": "UD", "rssi": 60, "steps": 1000, "status": 0}


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (
            b"[3G*9031853319*004E*UD2,220322,055105,A,22.761162,N,114.360192,E,0,0,47,14,100,64,"
            b"0,0,00000008,0,0]",
            (
                "9031853319",
                at(2022, 3, 22, 5, 51, 5),
                True,
                22.761162,
                114.360192,
                0,
                0,
                47,
                14,
                64,
            ),
        ),
        (
            b"[3G*2104326058*00E9*UD_LTE,300621,135101,A,32.162652,N,34.888748,E,30.84,265.158,"
            b"65.621,18,100,83,0,0,00000000,1,1,425,01,10223,8012811,100,3,ES4104,"
            b"22:74:1d:39:64:ff,-46,metropoline-wifi,a8:3f:a1:e0:66:ba,-89,Egged.co.il,"
            b"00:0c:42:51:cf:cd,-81,1.7055488]",
            (
                "2104326058",
                at(2021, 6, 30, 13, 51, 1),
                True,
                32.162652,
                34.888748,
                30.84,
                265.158,
                65.621,
                18,
                83,
            ),
        ),
        (
            b"[3G*2104134718*00A1*UD_WCDMA,161019,134938,A,43.373367,N,71.157615,W,22.0,350.206,"
            b"279.717,17,28,79,0,0,00000000,1,1,310,410,23999,132013696,28,1,Home2,"
            b"60:45:cb:cb:34:68,-93,8.263865]",
            (
                "2104134718",
                at(2019, 10, 16, 13, 49, 38),
                True,
                43.373367,
                -71.157615,
                22.0,
                350.206,
                279.717,
                17,
                79,
            ),
        ),
        (
            b"[3G*6105117105*008D*UD2,210716,231601,V,-33.480366,N,-70.7630692,E,0.00,0.0,0.0,0,"
            b"100,34,0,0,00000000,3,255,730,2,29731,54315,167,29731,54316,162,29731,54317,145]",
            (
                "6105117105",
                at(2016, 7, 21, 23, 16, 1),
                False,
                -33.480366,
                -70.7630692,
                0,
                0,
                0,
                0,
                34,
            ),
        ),
        (
            b"[3G*4700222306*011F*UD2,120316,140444,A,48.779045,N, 9.1574736,E,0.57,12.8,0.0,7,28,"
            b"77,0,0,00000000,2,2,262,1,21041,9067,121,21041,5981,116,5,WG-Superlativ,"
            b"34:31:c4:c8:a9:22,-67,EasyBox-28E858,18:83:bf:28:e8:f4,-70,MoMaXXg,"
            b"be:05:43:b7:19:15,-72,MoMaXX2,bc:05:43:b7:19:15,-72,Gastzugang,18:83:bf:28:e8:f5,"
            b"-72]",
            (
                "4700222306",
                at(2016, 3, 12, 14, 4, 44),
                True,
                48.779045,
                9.1574736,
                0.57,
                12.8,
                0,
                7,
                77,
            ),
        ),
        (
            b"[3G*6430073509*00E7*UD2,241016,081622,V,09.951861,N,-84.1422119,W,0.00,0.0,0.0,0,39,"
            b"94,0,0,00000000,1,0,712,3,2007,18961,123,4,Luz,00:23:6a:34:ee:76,-70,familia,"
            b"b0:c5:54:b9:90:ef,-78,fam salas delgado,fc:b4:e6:5d:50:ea,-81,QWERTY,"
            b"c8:3a:35:43:0f:e8,-93]",
            (
                "6430073509",
                at(2016, 10, 24, 8, 16, 22),
                False,
                9.951861,
                -84.1422119,
                0,
                0,
                0,
                0,
                94,
            ),
        ),
        (
            b"[SG*9059056143*0053*UD,251021,223408,A,41.46500,N,081.53128,W,0.926,000,0,00,70,70,"
            b"0,50,00000000,0,1,,,,00]",
            (
                "9059056143",
                at(2021, 10, 25, 22, 34, 8),
                True,
                41.465,
                -81.53128,
                0.926,
                0,
                0,
                0,
                70,
            ),
        ),
        (
            b"[ZJ*014111001350304*0033*0064*UD,070318,020827,V,00.000000,N,000.000000,E,0,0,0,0,"
            b"100,19,1000,50,00000000,1,255,460,0,9346,5223,42]",
            ("014111001350304", at(2018, 3, 7, 2, 8, 27), False, 0, 0, 0, 0, 0, 0, 19),
        ),
        (
            b"[3G*8800000015*00DD*UD,010120,025946,V,0.0,N,0.0,E,22.0,0,-1,0,100,98,0,0,00000000,"
            b"0,5,eduroam,f4:db:e6:d2:a8:00,-53,eduroam,f4:db:e6:da:d0:80,-79,eduroam,"
            b"78:0c:f0:24:f9:80,-82,Lions,b0:be:76:0a:05:9a,-82,tubs-guest,0,-53,0.0]",
            ("8800000015", at(2020, 1, 1, 2, 59, 46), False, 0, 0, 22.0, 0, -1, 0, 98),
        ),
    ],
)
def test_real_watch_positions_decode(frame: bytes, expected: tuple[object, ...]) -> None:
    decoded = decode(frame)
    (report,) = decoded.positions
    assert decoded.kind == "position" and decoded.ack is None
    # Times compare exactly: pytest.approx has no tolerance for datetimes.
    assert (report.device_key, report.time) == expected[:2]
    assert (
        report.valid,
        report.latitude,
        report.longitude,
        report.speed,
        report.course,
        report.altitude,
        report.satellites,
        report.battery,
    ) == pytest.approx(expected[2:])
    assert decoded.device_key == report.device_key


def test_wt_position_with_motion_bit_and_steps() -> None:
    report = position(
        b"[3G*6005412902*011F*WT,170517,133811,V,18.512200,N,73.7750283,E,0.00,0.0,0.0,0,92,82,"
        b"4262,0,00000010,2,1,404,22,10125,8301,141,10125,13921,122,5,Skynet,28:c6:8e:be:87:c0,"
        b"-60,Intel Wi-Fi,4c:60:de:32:3d:38,-70,Nirvanic-2,40:e3:d6:4a:d9:c2,-73,A4-Guest,"
        b"40:e3:d6:4a:d9:c4,-73,A4Idatix,40:e3:d6:4a:d9:c3,-73,13.8]"
    )
    assert report.time == at(2017, 5, 17, 13, 38, 11) and report.motion is True
    assert report.attributes["steps"] == 4262 and report.attributes["rssi"] == 92
    assert report.alarm is None


# --- alarms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "alarm", "ack"),
    [
        (
            b"[3G*8809008845*00C0*AL,271219,094744,V,00.000000,N, 0.0000000,E,0.00,0.0,0.0,0,100,"
            b"81,0,0,00010000,7,0,460,0,9336,3981,141,9336,3912,141,9336,3982,140,9765,4233,134,"
            b"9765,4071,134,9765,4321,134,9336,4353,132,0,0.0]",
            Alarm.SOS,
            b"[3G*8809008845*0002*AL]",
        ),
        (
            b"[ZJ*014111001332708*0075*0064*AL,040418,052156,A,22.536207,N,113.938673,E,0,0,0,5,"
            b"100,82,1000,50,00100000,1,255,460,0,9340,3663,35]",
            Alarm.TAMPERING,
            b"[ZJ*014111001332708*0075*0002*AL]",
        ),
        (
            b"[3G*8308373902*0080*AL,230817,095346,A,47.083950,N,15.4821850,E,7.60,273.8,0.0,4,15,"
            b"44,0,0,00200010,2,255,232,1,7605,42530,118,7605,58036,119,0,65.8]",
            Alarm.GENERAL,
            b"[3G*8308373902*0002*AL]",
        ),
        (
            b"[SG*8800000015*0087*AL,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,"
            b"1000,50,0001,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]",
            Alarm.LOW_BATTERY,
            b"[SG*8800000015*0002*AL]",
        ),
        (
            b"[3G*358839237678820*0122*ALCUSTOMER1,251120,081821,V,0.0,N,0.0,E,2.58,317.462,35.147,"
            b"14,100,2,11089,0,00100008,1,1,460,01,42308,101992452,100,5,shizhou1,"
            b"44:56:e2:03:ea:2a,-69,FART3,30:0d:9e:bb:fa:4d,-70,ZKY-A209,88:c3:97:c1:f4:7f,-73,"
            b"ChinaNet-HNeD,e8:84:c6:21:7c:dc,-77,,30:45:96:10:14:5d,-79,1.2035439]",
            Alarm.TAMPERING,
            b"[3G*358839237678820*0002*AL]",
        ),
    ],
)
def test_alarm_frames_raise_their_alarm_and_are_acked(
    frame: bytes, alarm: Alarm, ack: bytes
) -> None:
    decoded = decode(frame)
    assert decoded.kind == "alarm" and decoded.ack == ack
    assert decoded.positions[0].alarm is alarm


def test_fall_alarm_also_reports_motion() -> None:
    report = position(
        b"[3G*8308373902*0080*AL,230817,095346,A,47.083950,N,15.4821850,E,7.60,273.8,0.0,4,15,"
        b"44,0,0,00200010,2,255,232,1,7605,42530,118,7605,58036,119,0,65.8]"
    )
    assert report.motion is True and report.time == at(2017, 8, 23, 9, 53, 46)
    assert (report.latitude, report.longitude, report.speed) == (47.08395, 15.482185, 7.6)


def test_alarm_frame_without_alarm_bits_is_still_acked() -> None:
    decoded = decode(
        b"[SG*9051004074*0058*AL,120117,145602,V,40.058413,N,76.336618,W,11.519,188,99,00,01,80,"
        b"0,50,00000000,0,1,0,0,,10]"
    )
    assert decoded.kind == "position" and decoded.positions[0].alarm is None
    assert decoded.ack == b"[SG*9051004074*0002*AL]"
    assert decoded.positions[0].longitude == -76.336618


# --- other frames ---------------------------------------------------------------------


def test_link_frame_is_a_heartbeat_answered_with_lk() -> None:
    decoded = decode(b"[3G*4700186508*000B*LK,0,10,100]")
    assert decoded == Decoded(
        kind="heartbeat",
        device_key="4700186508",
        ack=b"[3G*4700186508*0002*LK]",
        attributes={"steps": 0, "battery": 100},
    )
    assert decode(b"[SG*8800000015*0002*LK]").ack == b"[SG*8800000015*0002*LK]"
    short = decode(b"[SG*9081000548*0009*LK,0,100]")
    assert short.ack == b"[SG*9081000548*0002*LK]"
    assert short.attributes == {"lengthMismatch": True}


def test_zj_index_is_echoed_in_the_reply() -> None:
    decoded = decode(ZJ_LINK)
    assert decoded.device_key == "014111001350304"
    assert decoded.ack == b"[ZJ*014111001350304*0034*0002*LK]"
    assert decoded.attributes == {"steps": 0, "battery": 19}


def test_voice_requests_are_echoed() -> None:
    assert decode(b"[3G*8800000015*0003*TKQ]").ack == b"[3G*8800000015*0003*TKQ]"
    assert decode(b"[3G*8800000015*0004*TKQ2]").ack == b"[3G*8800000015*0004*TKQ2]"


@pytest.mark.parametrize(
    "frame",
    [
        b"[CS*8800000015*0008*PULSE,72]",
        b"[3G*6005412902*0008*heart,71]",
        b"[ZJ*357653059860416*0007*000c*BLOOD,109,68]",
        b"[3G*4700609403*0013*bphrt,120,79,73,,,,]",
        b"[3G*2104326058*000E*btemp2,1,35.29]",
    ],
)
def test_health_readings_are_not_decoded_into_values(frame: bytes) -> None:
    decoded = decode(frame)
    assert decoded.kind == "other" and decoded.positions == () and decoded.ack is None
    assert set(decoded.attributes) == {"type"}


def test_voice_chunk_is_framed_by_its_length_acked_and_not_kept() -> None:
    frame, used = SPEC.frame(JXTK_CHUNK + ZJ_LINK)  # type: ignore[misc]
    assert frame == JXTK_CHUNK and used == len(JXTK_CHUNK)
    decoded = decode(JXTK_CHUNK)
    assert decoded.kind == "other" and decoded.attributes == {"type": "JXTK"}
    assert decoded.ack == b"[ZJ*789468050042692*0034*0007*JXTKR,1]"


def test_declared_length_frames_binary_content_holding_a_bracket() -> None:
    content = b"TK,#!AMR\n\x5d\x00\xff\x5d"
    frame = b"[CS*1234567890*%04X*" % len(content) + content + b"]"
    assert SPEC.frame(frame + ZJ_LINK) == (frame, len(frame))  # type: ignore[misc]
    assert decode(frame).attributes == {"type": "TK"}


def test_another_device_id_on_one_connection_is_a_protocol_error() -> None:
    session = Session()
    decode(b"[3G*4700186508*000B*LK,0,10,100]", session)
    with pytest.raises(ProtocolError, match="another device id"):
        watch.decode(b"[3G*4700186509*000B*LK,0,10,100]", session)


@pytest.mark.parametrize(
    "frame",
    [
        b"[3G*1*0010*UD,320122,000000,A,1.0,N,1.0,E,0,0,0,0,0,0,0,0,0]",  # 32 January
        b"[3G*1*0010*UD,010122,000000,A,91.0,N,1.0,E,0,0,0,0,0,0,0,0,0]",
        b"[3G*1*0010*UD,010122,000000,X,1.0,N,1.0,E,0,0,0,0,0,0,0,0,0]",
        b"[3G*1*0010*UD,010122,000000,A,1.0,N,1.0,E,0,0,0,0,0,0,0,0]",  # no status
        b"[3G*1*0010*UD,010122,000000,A,1e5,N,1.0,E,0,0,0,0,0,0,0,0,0]",
        b"[3G*1*0010*UD,010122,000000,A,1.0,N,1.0,E,nan,0,0,0,0,0,0,0,0]",
        b"[3G*1*0010*UD,010122,000000,A,1.0,N,1.0,E,0,0,0,0,0,0,0,0,0XYZ]",
        b"[3G*1*0010*U D,010122]",
        b"[3G*1*001]",
        b"3G*1*0002*LK]",
    ],
)
def test_malformed_frames_are_protocol_errors(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        watch.decode(frame, Session())


# --- framing --------------------------------------------------------------------------


def test_framer_splits_several_frames_in_one_buffer() -> None:
    decoded = run_stream(STREAM, Session())
    assert [d.kind for d in decoded] == ["heartbeat", "position", "other", "heartbeat"]
    assert decoded[1].positions[0].time == at(2023, 7, 19, 19, 7, 7)


def test_framer_waits_for_partial_frames() -> None:
    for frame in (ZJ_LINK, DOCUMENT_EXAMPLE, JXTK_CHUNK[:40] + b"]"):
        for cut in range(len(frame)):
            assert SPEC.frame(frame[:cut]) == (None, 0), (frame, cut)  # type: ignore[misc]


def test_framer_balances_brackets_when_the_length_is_miscounted() -> None:
    frame, used = SPEC.frame(WIFI_NAME_WITH_BRACKETS + ZJ_LINK)  # type: ignore[misc]
    assert frame == WIFI_NAME_WITH_BRACKETS and used == len(frame)
    assert position(frame).latitude == 48.949273


def test_framer_skips_noise_before_a_frame() -> None:
    assert SPEC.frame(b"\r\n\x00" + ZJ_LINK) == (ZJ_LINK, 3 + len(ZJ_LINK))  # type: ignore[misc]
    assert SPEC.frame(b"\r\n\x00") == (None, 3)  # type: ignore[misc]
    assert SPEC.frame(b"xx[ZJ*0") == (None, 2)  # type: ignore[misc]


@pytest.mark.parametrize(
    "header",
    [b"[3G*12345*00G1*", b"[3G-12345*", b"[3G*" + b"1" * 40, b"[3G*12345*1*", b"[3G**0002*"],
)
def test_malformed_header_is_refused_before_its_content_is_buffered(header: bytes) -> None:
    with pytest.raises(ProtocolError, match="header"):
        SPEC.frame(header)  # type: ignore[misc]


def test_frame_without_an_end_near_its_declared_length_is_refused() -> None:
    start = b"[3G*1234567890*0010*UD,"  # 16 bytes declared
    assert SPEC.frame(start + b"x" * 70) == (None, 0)  # type: ignore[misc]
    with pytest.raises(ProtocolError, match="no frame end near"):
        SPEC.frame(start + b"x" * 78)  # type: ignore[misc]
    with pytest.raises(ProtocolError, match="long before"):
        SPEC.frame(b"[3G*1234567890*0100*LK]" + b"x" * 300)  # type: ignore[misc]


@pytest.mark.parametrize(("declared", "accepted"), [(0x0B + 64, True), (0x0B + 65, False)])
def test_length_may_be_miscounted_by_at_most_64_bytes(declared: int, accepted: bool) -> None:
    frame = b"[3G*4700186508*%04X*LK,0,10,100]" % declared
    if accepted:
        assert decode(frame).attributes["lengthMismatch"] is True
        assert SPEC.frame(frame + b"x" * 200) == (frame, len(frame))  # type: ignore[misc]
    else:
        with pytest.raises(ProtocolError, match="far from"):
            watch.decode(frame, Session())


# --- simulator side -------------------------------------------------------------------


@pytest.mark.parametrize(
    "report",
    [
        PositionReport(
            protocol="watch",
            device_key="9031853319",
            time=at(2024, 5, 17, 8, 30, 15),
            valid=True,
            latitude=52.367573,
            longitude=-4.904139,
            speed=4.25,
            course=271.5,
            altitude=-3.5,
            satellites=9,
            battery=55.0,
            motion=True,
            alarm=Alarm.SOS,
        ),
        PositionReport(
            protocol="watch",
            device_key="9031853319",
            time=at(2030, 1, 1, 0, 0, 0),
            valid=False,
            latitude=-33.965602,
            longitude=151.2093,
            satellites=0,
            battery=100.0,
        ),
        PositionReport(
            protocol="watch",
            device_key="9031853319",
            time=at(2024, 5, 17, 8, 30, 15),
            valid=True,
            latitude=1.0,
            longitude=2.0,
            satellites=4,
            battery=20.0,
            alarm=Alarm.POWER_CUT,
        ),
    ],
)
def test_encoder_round_trip(report: PositionReport) -> None:
    encoder = SPEC.encoder
    assert encoder is not None and encoder.acks_positions is False
    session = Session()
    hello = encoder.hello(report.device_key)
    assert hello == b"[3G*9031853319*0002*LK]"
    decoded = run_stream(hello + encoder.position(report, 1), session)
    assert [d.kind for d in decoded] == ["heartbeat", "alarm" if report.alarm else "position"]
    assert encoder.read_ack(decoded[0].ack or b"") == len(b"[3G*9031853319*0002*LK]")
    (back,) = decoded[1].positions
    assert back.time == report.time and back.device_key == report.device_key
    assert back.latitude == pytest.approx(report.latitude, abs=1e-6)
    assert back.longitude == pytest.approx(report.longitude, abs=1e-6)
    assert back.speed == pytest.approx(report.speed, abs=0.01)
    assert back.course == pytest.approx(report.course or 0.0, abs=0.1)
    assert back.altitude == pytest.approx(report.altitude or 0.0, abs=0.1)
    for name in ("valid", "satellites", "battery", "motion", "alarm"):
        assert getattr(back, name) == getattr(report, name), name
    assert (decoded[1].ack is not None) == (report.alarm is not None)


def test_read_ack_needs_a_whole_reply() -> None:
    read_ack = SPEC.encoder.read_ack  # type: ignore[union-attr]
    assert read_ack(b"") == 0
    assert read_ack(b"[3G*1*0002*L") == 0
    assert read_ack(b"[3G*1*0002*LK][3G*1*0002*AL]") == len(b"[3G*1*0002*LK]")


# --- fuzz -----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_from_a_fresh_connection_decode_or_raise_protocol_error(data: bytes) -> None:
    run_stream(data, Session())


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_after_login_decode_or_raise_protocol_error(data: bytes) -> None:
    run_stream(data, Session(device_key="9031853319"))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([b"3G*9031853319*", b"ZJ*9031853319*0001*"]), st.binary(max_size=4096))
def test_any_content_behind_a_valid_header_decodes_or_raises(head: bytes, content: bytes) -> None:
    run_stream(b"[" + head + b"%04X*" % len(content) + content + b"]", Session())


_FIELD = st.text(alphabet="0123456789.-+ ANSEWVx", max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["UD", "UD2", "AL", "WT", "LK"]), st.lists(_FIELD, max_size=24))
def test_any_position_fields_decode_or_raise(kind: str, fields: list[str]) -> None:
    content = ",".join([kind, *fields]).encode("ascii")
    run_stream(b"[SG*9031853319*%04X*" % len(content) + content + b"]", Session())
