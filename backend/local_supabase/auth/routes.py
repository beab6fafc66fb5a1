from starlette.routing import Route


def auth_routes() -> list[Route]:
    return []
