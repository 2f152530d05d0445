"""`yuqing web ...`: serve the console and the action links on their own (`yuqing serve` also
serves them, beside the schedules), make the password hash a `[[web.users]]` entry needs, and
end every console session of an account (`revoke`: a lost laptop, a person leaving)."""

from __future__ import annotations

import contextlib
import getpass
from typing import Annotated

import typer

from yuqing.cli_common import config_arg, console, errors, flow_api, now, refusals

app = typer.Typer(help="控制台与一键办理链接 (web console)", invoke_without_command=True)


@app.callback()
def web(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="监听地址（默认 web.host）")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口（默认 web.port）")] = None,
) -> None:
    """只运行控制台（不运行定时采集和催办），直到 Ctrl-C。"""
    if ctx.invoked_subcommand is not None:
        return
    from deployments.wakeup import start_wake_thread
    from tasks.runtime import prepare
    from yuqing.web.server import serve_web

    with refusals(), flow_api():
        config = config_arg()
        runtime = prepare(config)
        settings = runtime.settings
        shown = f"http://{host or settings.web.host}:{port or settings.web.port}"
        console.print(f"控制台：{shown}/ （Ctrl-C 停止）")
        if settings.web.base_url is None or settings.secrets.link_key is None:
            errors.print("提示：未设置 web.base_url 或 secrets 的 link_key，告警中不含一键办理链接")
        # The console's actions cause steps (telling people): carry them out here. The time
        # limits themselves are chased by `yuqing serve`, not by the console alone.
        _, waker = start_wake_thread(runtime, config, escalate=False)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                serve_web(config, host=host, port=port, after_change=waker.poke)
        finally:
            waker.halt()
    console.print("控制台已停止")


@app.command("hash-password")
def hash_password_command(
    password: Annotated[
        str | None, typer.Option("--password", help="不推荐：会留在 shell 历史中")
    ] = None,
) -> None:
    """生成控制台账号（web.users）所需的 password_hash（scrypt）。"""
    from yuqing.web.security import hash_password

    if password is None:
        password = getpass.getpass("密码：")
        if password != getpass.getpass("再输入一次：") or not password:
            errors.print("[red]两次输入不一致或为空[/red]")
            raise typer.Exit(2)
    typer.echo(hash_password(password))


@app.command("revoke")
def revoke_command(
    username: Annotated[str, typer.Argument(help="账号（web.users 中的 username）")],
) -> None:
    """结束该账号的全部控制台登录会话（电脑丢失、人员离岗时）；下次须重新登录。"""
    from models.repo.console.sessions import end_sessions_of
    from models.store.db import session_scope
    from tasks.runtime import prepare
    from yuqing.web.security import find_user

    with refusals():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            ended = end_sessions_of(session, username, at=now(), reason="revoked")
        if ended == 0 and find_user(runtime.settings, username) is None:
            errors.print(f"[red]没有账号[/red] {username!r}（见配置的 [[web.users]]）")
            raise typer.Exit(2)
    console.print(f"已结束账号 {username} 的 {ended} 个登录会话")
