"""What the browser tests wait for."""


def wait_step(page, n: int, settled: bool = False) -> None:
    """Until the player's stage shows step ``n`` (and, with ``settled``, htmx has settled it,
    so its links are live)."""
    page.wait_for_selector(f'#stage[data-step="{n}"]' + (":not(.htmx-settling)" if settled else ""), timeout=10_000)
