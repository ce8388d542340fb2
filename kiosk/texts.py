"""What the kiosk says, in Chinese and English. Pure.

The screen speaks one language at a time (the customer picks it with one button); the
wording of the ahead and wait lines is the printed ticket's own (``drivers.printer.ticket``),
so the screen and the paper never disagree.
"""

from __future__ import annotations

import math

from drivers.printer.ticket import ahead_text, wait_text
from kiosk.model import Lang, NoticeKind, Service

WORDS: dict[str, tuple[str, str]] = {
    "welcome": ("欢迎光临", "Welcome"),
    "choose": ("请选择您要办理的业务", "Please choose your service"),
    "closed": ("暂停办理", "Closed now"),
    "no_wait": ("无需等候", "No wait"),
    "lang": ("English", "中文"),  # the button names the other language
    "offline": (
        "系统连接中断，暂停取号，正在自动恢复",
        "No connection: tickets cannot be issued now. Reconnecting…",
    ),
    "printer_fault": (
        "打印机故障：取号后请记住屏幕上的号码",
        "Printer fault: please remember the number on screen",
    ),
    "token_invalid": (
        "本机令牌无效，暂停取号：请技术人员设置取号机的令牌",
        "This kiosk's token is not valid: no tickets. IT must set the kiosk's token",
    ),
    "token_role": (
        "本机令牌属于{role}，不是取号机的，暂停取号：请技术人员更换",
        "This token is a {role}'s, not a kiosk's: no tickets. IT must change it",
    ),
    "card_read": ("已读取您的卡，请选择业务", "Card read: please choose your service"),
    "cancel": ("取消", "Cancel"),
    "issuing": ("正在取号，请稍候…", "Issuing your ticket…"),
    "your_number": ("您的号码", "Your number"),
    "printing": ("正在打印，请取走您的号票", "Printing: please take your ticket"),
    "printed": ("请取走号票，留意叫号", "Please take your ticket and listen for your number"),
    "remember": ("请记住您的号码", "Please remember your number"),
    "ask_manager": ("号票未能打印", "Your ticket did not print"),
    "unprinted": (
        "本机不打印号票：请记住屏幕上的号码，留意叫号",
        "This kiosk prints no tickets: remember the number on screen and listen for it",
    ),
    "done": ("完成", "Done"),
    "back": ("返回", "Back"),
    "touch": ("请触摸屏幕取号", "Touch the screen to take a ticket"),
    "swipe": ("持卡客户请直接刷卡", "Cardholders: swipe your card"),
    "pin": ("请输入管理密码", "Operator PIN"),
    "pin_wrong": ("密码错误", "Wrong PIN"),
    "settings": ("取号机设置", "Kiosk settings"),
    "save": ("保存", "Save"),
    "check_in": ("签到 · 手机取号或预约的客户请点这里",
                 "Check in · took a number on your phone or booked? Tap here"),
    "code_prompt": ("请输入手机上的 8 位签到码", "Enter the 8-digit code on your phone"),
    "code_hint": ("签到码在您手机的取号或预约页面上；有扫描口的，也可扫手机上的签到码二维码",
                  "It is on your phone's ticket or booking page; or scan its QR code"),
    "checking_in": ("正在签到，请稍候…", "Checking you in…"),
    "retype": ("重新输入", "Type it again"),
    "ok": ("确定", "OK"),
}  # fmt: skip

NOTICES: dict[NoticeKind, tuple[tuple[str, str], tuple[str, str]]] = {
    "offline": (
        ("暂时无法取号", "Tickets cannot be issued now"),
        ("系统连接中断，正在自动恢复；请稍后再试或联系大堂经理",
         "No connection to the queue system. Please try again shortly or ask the lobby manager"),
    ),
    "busy": (
        ("取号过于频繁", "Too many tickets at once"),
        ("请稍候片刻再试", "Please wait a moment and try again"),
    ),
    "closed": (
        ("该业务暂停办理", "This service is closed now"),
        ("请选择其他业务或咨询大堂经理", "Please choose another or ask the lobby manager"),
    ),
    "token": (
        ("暂时无法取号", "Tickets cannot be issued now"),
        ("本机设置有误，请联系大堂经理",
         "This kiosk is not set up right: please ask the lobby manager"),
    ),
    "refused": (
        ("无法取号", "No ticket could be issued"),
        ("请联系大堂经理", "Please ask the lobby manager"),
    ),
    "bad_card": (
        ("无法识别您的卡", "Your card could not be read"),
        ("请重新刷卡，或直接选择业务", "Please swipe again, or just choose a service"),
    ),
    "no_pin": (
        ("未设置管理密码", "No operator PIN is set"),
        ("请在本机运行 branchq kiosk --set-pin", "Run branchq kiosk --set-pin on this kiosk"),
    ),
    "locked": (
        ("密码错误次数过多", "Too many wrong PINs"),
        ("请稍后再试", "Please try again later"),
    ),
    "help_sent": (
        ("已通知大堂经理", "The lobby manager is on the way"),
        ("请在这里稍候，大堂经理马上过来", "Please wait here; the lobby manager is coming"),
    ),
    "help_failed": (
        ("未能通知大堂经理", "The lobby manager could not be called"),
        ("请向大厅里的工作人员招手示意", "Please wave to a member of staff in the hall"),
    ),
    "code_unknown": (
        ("签到码不正确", "This code is not right"),
        ("请核对手机上的 8 位签到码后重新输入；仍不行请找大堂经理",
         "Check the 8 digits on your phone and type them again, or ask the lobby manager"),
    ),
    "code_used": (
        ("此签到码已经签到过", "This code has been checked in already"),
        ("您的号码已在排队，请留意叫号；号票遗失请找大堂经理补打",
         "Your number is in the queue: listen for it. Lost the ticket? Ask the lobby manager"),
    ),
    "code_expired": (
        ("手机取号已过期", "Your phone's number has expired"),
        ("未在有效时间内签到：请在本机重新取号，或找大堂经理",
         "It was not checked in in time: take a new ticket here, or ask the lobby manager"),
    ),
    "code_cancelled": (
        ("此号码或预约已取消", "This number or booking was cancelled"),
        ("请在本机重新取号，或找大堂经理", "Take a new ticket here, or ask the lobby manager"),
    ),
    "code_early": (
        ("还没到您的预约时段", "Too early for your booking"),
        ("请临近预约时段再来签到；急需办理请直接取号，或找大堂经理",
         "Check in nearer your booked time, or take a ticket now or ask the lobby manager"),
    ),
    "code_missed": (
        ("您的预约时段已过", "Your booked time has passed"),
        ("请在本机直接取号，或找大堂经理", "Please take a ticket here, or ask the lobby manager"),
    ),
}  # fmt: skip

SETTING_LABELS: dict[str, tuple[str, str]] = {
    "engine": ("服务器地址", "Engine URL"),
    "printer.transport": ("打印机连接", "Printer link"),
    "printer.host": ("打印机地址", "Printer host"),
    "printer.port": ("打印机端口", "Printer port"),
    "printer.device": ("打印机设备", "Printer device"),
    "language": ("默认语言", "Default language"),
}


#: The roles a wrong token may have, as a person at the kiosk would name the device.
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "display": ("大厅显示屏", "hall display"),
    "sign": ("窗口屏", "counter sign"),
    "rating": ("评价器", "rating tablet"),
    "teller": ("柜员", "teller"),
    "lobby": ("大堂经理", "lobby manager"),
    "admin": ("管理员", "administrator"),
}


def token_line(problem: str, lang: Lang) -> str:
    """The strip saying why this kiosk issues nothing: its token is unknown, or another role's."""
    if problem == "invalid":
        return word("token_invalid", lang)
    role = pick(ROLE_NAMES.get(problem, (problem, problem)), lang)
    return word("token_role", lang).format(role=role)


def back_word(kind: NoticeKind, lang: Lang) -> str:
    """The notice's one button: back, or for a mistyped code, to type it again."""
    return word("retype" if kind == "code_unknown" else "back", lang)


def word(key: str, lang: Lang) -> str:
    zh, en = WORDS[key]
    return en if lang == "en" else zh


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "en" and pair[1] else pair[0]


def service_name(service: Service, lang: Lang) -> str:
    return service.name_en if lang == "en" and service.name_en else service.name


def waiting_line(service: Service, lang: Lang) -> str:
    """'等候 3 人 · 约 8 分钟' on a service's button."""
    if not service.open:
        return word("closed", lang)
    if service.waiting == 0:
        return word("no_wait", lang)
    people = f"{service.waiting} waiting" if lang == "en" else f"等候 {service.waiting} 人"
    if service.estimated_wait_range_s is not None:
        low, high = (max(0, service.estimated_wait_range_s[0] // 60),
                     max(1, math.ceil(service.estimated_wait_range_s[1] / 60)))  # fmt: skip
        if low == 0:
            about = f"up to {high} min" if lang == "en" else f"{high} 分钟以内"
        else:
            about = f"{low}–{high} min" if lang == "en" else f"约 {low}–{high} 分钟"
        return f"{people} · {about}"
    if service.estimated_wait_s is None:
        return people
    minutes = max(1, math.ceil(service.estimated_wait_s / 60))
    about = f"about {minutes} min" if lang == "en" else f"约 {minutes} 分钟"
    return f"{people} · {about}"


def ahead_line(ahead: int, lang: Lang) -> str:
    return pick(ahead_text(ahead), lang)


def wait_line(
    estimated_wait_s: int | None, lang: Lang, wait_range: tuple[int, int] | None = None
) -> str:
    pair = wait_text(estimated_wait_s, wait_range)
    return pick(pair, lang) if pair is not None else ""


def reprint_lines(number: str, lang: Lang) -> tuple[str, str]:
    """What a customer whose ticket did not print must do, in two lines: the engine holds the
    number for them until the lobby manager reprints it."""
    if lang == "en":
        return f"Please remember your number {number}", "and ask the lobby manager to reprint it"
    return f"请记住您的号码 {number}，", "到大堂经理处补打号票"


def reprint_line(number: str, lang: Lang) -> str:
    first, second = reprint_lines(number, lang)
    return f"{first} {second}" if lang == "en" else first + second


def greeting(tier_name: str, tier_name_en: str, lang: Lang) -> str:
    """The welcome of a card's tier; the card number itself is never shown."""
    if lang == "en":
        return f"Welcome, {tier_name_en or tier_name} customer"
    return f"尊敬的{tier_name}，欢迎您"
