"""Money is integer đồng (VND has no minor unit). Shown Vietnamese style: 1.234.567 ₫."""


def format_vnd(amount: int | None) -> str:
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,}".replace(",", ".") + "\u00a0₫"
