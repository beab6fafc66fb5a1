from starlette.routing import Route


def rest_routes() -> list[Route]:
    return []
