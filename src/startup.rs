//! Builds the HTTP application; shared by `fidelio serve` and the tests (which bind port 0).

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use prometheus::Registry;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::observe::HttpMetrics;
use crate::api::unmatched::{self, RouteTable};
use crate::api::{self, ApiDoc};
use crate::auth::jwt::TokenKeys;
use crate::auth::key_limit::KeyLimiter;
use crate::auth::login_limit::LoginLimiter;
use crate::config::{DatabaseArgs, ServeArgs};
use crate::db::models::settings;
use crate::db::{Db, DbConn, Workers};
use crate::error::AppError;
use crate::gamification::GameCache;
use crate::jobs;
use crate::metrics::{MemoryCollector, PoolCollector};
use crate::programs::ProgramCache;
use crate::programs::key_cache::KeyCache;
use crate::rules::RuleCache;
use crate::shutdown::{self, Drain};
use crate::state::{AppState, TokenLifetimes};

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens the database, applies migrations, loads the token secret and binds the listener.
    pub async fn build(database: &DatabaseArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        // Bind first: a taken port fails before any database connection opens.
        let listener = TcpListener::bind(serve.bind)
            .with_context(|| format!("cannot listen on {}", serve.bind))?;
        let db = open_database(database).await?;
        let secret = serve.jwt_secret.clone();
        let conn_db = db.clone();
        let secret = web::block(move || token_secret(&mut *conn_db.get()?, secret)).await??;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            db,
            // One thread per pooled connection: a thread without one would only wait.
            workers: Workers::start(database.pool_size as usize)?,
            tokens: TokenKeys::new(&secret),
            token_lifetimes: TokenLifetimes {
                admin_secs: serve.admin_token_ttl,
                member_secs: serve.member_token_ttl,
            },
            login_limiter: LoginLimiter::default(),
            keys: KeyCache::default(),
            key_limits: KeyLimiter::default(),
            programs: ProgramCache::default(),
            rules: RuleCache::default(),
            game: GameCache::default(),
        });
        if serve.tick_interval > 0 {
            jobs::spawn_schedule(
                state.db.clone(),
                std::time::Duration::from_secs(serve.tick_interval),
            );
        }
        let server = server(listener, state, serve)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then drains (see `shutdown`) and stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the pool and applies pending migrations.
pub async fn open_database(database: &DatabaseArgs) -> anyhow::Result<Db> {
    let url = database.url()?;
    let (pool_size, timeout) = (database.pool_size, database.timeout());
    web::block(move || Db::open(&url, pool_size, timeout)).await?
}

/// The configured secret, or the one generated once and kept in the database.
fn token_secret(conn: &mut DbConn, configured: Option<String>) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        anyhow::ensure!(
            secret.len() >= 32,
            "FIDELIO_JWT_SECRET must be at least 32 bytes long"
        );
        return Ok(secret.into_bytes());
    }
    let candidate: [u8; 32] = rand::random();
    let stored = settings::get_or_insert(conn, "jwt_secret", &hex::encode(candidate))?;
    Ok(hex::decode(stored)?)
}

fn server(
    listener: TcpListener,
    state: web::Data<AppState>,
    serve: &ServeArgs,
) -> anyhow::Result<Server> {
    let registry = Registry::new();
    let http_metrics = web::Data::new(HttpMetrics::register(&registry)?);
    registry.register(Box::new(PoolCollector::new(state.db.clone())?))?;
    registry.register(Box::new(MemoryCollector::new()?))?;
    let registry = web::Data::new(registry);
    let drain = web::Data::new(Drain::default());
    let app_drain = drain.clone();
    let mut server = HttpServer::new(move || {
        let (app, mut openapi) =
            App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .app_data(state.clone())
                .app_data(registry.clone())
                .app_data(http_metrics.clone())
                .app_data(app_drain.clone())
                .app_data(web::PayloadConfig::new(api::json::MAX_BODY))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    AppError::BadRequest(format!("query string: {e}")).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    AppError::NotFound(format!("no such resource: {e}")).into()
                }))
                .configure(api::routes)
                .split_for_parts();
        api::problems_doc::complete(&mut openapi);
        let document = api::schema_rules::document(&openapi);
        let routes = web::Data::new(RouteTable::new(&openapi));
        app.app_data(routes)
            .service(web::redirect("/docs", "/docs/").permanent())
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .external_urls_from_iter_unchecked([("/openapi.json", document)]),
            )
            .default_service(web::to(unmatched::unmatched))
            .wrap(from_fn(unmatched::head_as_get))
            .wrap(from_fn(unmatched::refuse_nul_in_path))
            .wrap(from_fn(api::rate_limit::send_usage))
            .wrap(from_fn(api::observe::observe))
            .wrap(from_fn(shutdown::track))
    })
    .listen(listener)?
    .shutdown_signal(shutdown::drained_after_signal(
        drain,
        std::time::Duration::from_secs(serve.shutdown_timeout),
    ))
    .shutdown_timeout(serve.shutdown_timeout);
    if let Some(workers) = serve.workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}
