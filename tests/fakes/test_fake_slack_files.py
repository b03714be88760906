"""FakeSlack's external file upload, proven against slack_sdk's own files_upload_v2."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from fakes.slack.server import FakeSlack, UploadedFile

CSV = "a,b\n1,2\n"


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


async def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return str(raised.value.response["error"])


async def test_files_upload_v2_shares_the_bytes_into_a_thread(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C0HELP", text="scan done")
    answer = await client.files_upload_v2(
        channel="C0HELP",
        thread_ts=parent["ts"],
        content=CSV,
        filename="x.csv",
        title="X",
        initial_comment="hi",
    )
    asked = (await slack.wait_for("files.getUploadURLExternal"))[0]
    assert (asked.args["filename"], asked.args["length"]) == ("x.csv", "8")
    completed = (await slack.wait_for("files.completeUploadExternal"))[0]
    file_id = asked.answer["file_id"]
    assert asked.answer["upload_url"].startswith(f"{slack.base_url}/upload/v1/")
    assert completed.args["channel_id"] == "C0HELP"
    # The answer is Slack's: the file object before Slack's asynchronous share.
    file = answer["file"]
    assert answer["files"] == [file] and completed.answer == {"ok": True, "files": [file]}
    assert (file["id"], file["name"], file["title"], file["size"]) == (file_id, "x.csv", "X", 8)
    assert file["user"] == "U0BOT" and isinstance(file["created"], int)
    assert file["shares"] == {} and file["channels"] == []
    assert slack.uploaded_files == [
        UploadedFile(file_id, "x.csv", "X", CSV.encode(), ("C0HELP",), parent["ts"], "hi")
    ]
    assert slack.uploaded_files[0].channel == "C0HELP"
    (share,) = [m for m in slack.messages.values() if m.get("files")]
    assert share["thread_ts"] == parent["ts"] and share["text"] == "hi"
    assert [f["id"] for f in share["files"]] == [file_id]


async def test_an_upload_without_a_channel_stays_private(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.files_upload_v2(content=b"\x00\x01", filename="blob.bin")
    (uploaded,) = slack.uploaded_files
    assert (uploaded.title, uploaded.content) == ("blob.bin", b"\x00\x01")
    assert uploaded.channel is None and uploaded.thread_ts is None
    assert not any(m.get("files") for m in slack.messages.values())


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"filename": "x.csv"}, "invalid_arguments"),
        ({"length": 8}, "invalid_arguments"),
        ({"filename": "x.csv", "length": "eight"}, "invalid_arguments"),
        ({"filename": "x.csv", "length": -1}, "invalid_arguments"),
        ({"filename": "x.csv", "length": 0}, "missing_argument"),
        ({"filename": "x.py", "length": 2_000_000, "snippet_type": "python"}, "snippet_too_large"),
        ({"filename": "x.png", "length": 8, "alt_txt": "a" * 1001}, "alt_txt_too_large"),
    ],
)
async def test_get_upload_url_refuses_like_slack(
    client: AsyncWebClient, params: dict[str, Any], error: str
) -> None:
    assert await error_of(client.api_call("files.getUploadURLExternal", params=params)) == error


async def test_missing_length_names_the_field(slack: FakeSlack, client: AsyncWebClient) -> None:
    await error_of(client.api_call("files.getUploadURLExternal", params={"filename": "x.csv"}))
    answer = slack.calls_to("files.getUploadURLExternal")[0].answer
    assert answer["response_metadata"]["messages"] == ["[ERROR] missing required field: length"]


async def test_completing_an_unknown_file_id(slack: FakeSlack, client: AsyncWebClient) -> None:
    files: list[dict[str, str | None]] = [{"id": "F0NEVER", "title": "x"}]
    complete = client.files_completeUploadExternal(files=files, channel_id="C0HELP")
    assert await error_of(complete) == "file_not_found"
    assert slack.uploaded_files == [] and slack.messages == {}


async def test_completing_a_file_whose_bytes_never_came(client: AsyncWebClient) -> None:
    url = await client.files_getUploadURLExternal(filename="x.csv", length=8)
    files: list[dict[str, str | None]] = [{"id": url["file_id"], "title": "x"}]
    assert await error_of(client.files_completeUploadExternal(files=files)) == "file_not_found"


async def test_an_upload_completes_once(slack: FakeSlack, client: AsyncWebClient) -> None:
    answer = await client.files_upload_v2(content=CSV, filename="x.csv")
    files: list[dict[str, str | None]] = [{"id": answer["file"]["id"], "title": "again"}]
    assert await error_of(client.files_completeUploadExternal(files=files)) == "file_not_found"
    assert len(slack.uploaded_files) == 1


async def test_completing_into_a_channel_the_bot_is_not_in(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.not_in_channel.add("C0OUT")
    with pytest.raises(SlackApiError) as raised:
        await client.files_upload_v2(channel="C0OUT", content=CSV, filename="x.csv")
    assert raised.value.response["error"] == "not_in_channel"
    assert slack.uploaded_files == []


async def test_posting_to_an_unknown_upload_url(slack: FakeSlack, client: AsyncWebClient) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{slack.base_url}/upload/v1/nope", data=b"x") as res:
            assert res.status == 404
        url = await client.files_getUploadURLExternal(filename="x.csv", length=8)
        async with http.post(url["upload_url"], data=CSV.encode()) as res:
            assert (res.status, await res.text()) == (200, "OK - 8")
            assert res.content_type == "text/plain"
        files: list[dict[str, str | None]] = [{"id": url["file_id"], "title": "x"}]
        await client.files_completeUploadExternal(files=files)
        # A completed upload's URL is spent.
        async with http.post(url["upload_url"], data=b"late") as res:
            assert res.status == 404
    assert slack.uploaded_files[0].content == CSV.encode()


async def test_a_multipart_upload_keeps_the_file_part(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    url = await client.files_getUploadURLExternal(filename="x.csv", length=8)
    form = aiohttp.FormData()
    form.add_field("filename", CSV.encode(), filename="x.csv")
    async with aiohttp.ClientSession() as http, http.post(url["upload_url"], data=form) as res:
        assert (res.status, await res.text()) == (200, "OK - 8")
    await client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": None}])
    (uploaded,) = slack.uploaded_files
    assert (uploaded.title, uploaded.content) == ("x.csv", CSV.encode())
