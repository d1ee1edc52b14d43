//! The center's state as one value: configuration, clock, world, tokens, registry,
//! journal and faults. Handlers receive it as shared state.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use parking_lot::{Mutex, MutexGuard, RwLock};

use super::auth::Tokens;
use super::clock::VirtualClock;
use super::config::{Quirk, SimConfig};
use super::faults::Faults;
use super::fixture::Fixture;
use super::journal::Journal;
use super::ledger::World;
use super::registry::Registry;

pub struct Center {
    pub config: SimConfig,
    pub clock: VirtualClock,
    pub tokens: Tokens,
    pub registry: Registry,
    pub journal: Journal,
    pub faults: Faults,
    pub admin_token: String,
    world: Mutex<World>,
    /// Users added at run time by `POST /_sim/fixture`, kept for `GET /_sim/fixture`.
    added: RwLock<Vec<super::fixture::UserFixture>>,
    /// The instant consents of the fixture were given (the clock's start).
    start: DateTime<FixedOffset>,
}

impl Center {
    pub fn new(config: SimConfig) -> Arc<Center> {
        let clock = match config.clock_start {
            Some(t) => VirtualClock::starting_at(t),
            None => VirtualClock::wall(),
        };
        let start = clock.now();
        let admin_token = config.admin_token.clone().unwrap_or_else(|| super::auth::random_token(32));
        Arc::new(Center {
            world: Mutex::new(World::from_fixture(&config.fixture, start)),
            tokens: Tokens::default(),
            registry: Registry::default(),
            journal: Journal::new(config.journal_capacity, config.journal_max_bytes),
            faults: Faults::default(),
            admin_token,
            added: RwLock::new(Vec::new()),
            start,
            clock,
            config,
        })
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    pub fn has(&self, quirk: Quirk) -> bool {
        self.config.has(quirk)
    }

    /// The world, with due pending transfers and claims settled first.
    pub fn world(&self) -> MutexGuard<'_, World> {
        let mut w = self.world.lock();
        if !w.pending.is_empty() || !w.claims.is_empty() {
            w.settle_due(self.now(), &self.registry);
        }
        w
    }

    pub fn institution(&self) -> &super::fixture::InstitutionFixture {
        &self.config.fixture.institution
    }

    /// Adds users from a fixture document at run time.
    pub fn add_users(&self, more: &Fixture) -> Result<(), String> {
        let mut combined = self.fixture();
        combined.users.extend(more.users.iter().cloned());
        combined.validate()?;
        self.world.lock().add_users(more, self.now());
        self.added.write().extend(more.users.iter().cloned());
        Ok(())
    }

    /// The configured fixture plus users added at run time.
    pub fn fixture(&self) -> Fixture {
        let mut f = self.config.fixture.clone();
        f.users.extend(self.added.read().iter().cloned());
        f
    }

    /// Back to the configured fixture, with the clock at its start and nothing remembered.
    pub fn reset(&self) {
        self.clock.reset();
        self.added.write().clear();
        *self.world.lock() = World::from_fixture(&self.config.fixture, self.start);
        self.tokens.clear();
        self.registry.clear();
        self.journal.clear();
        self.faults.clear();
    }
}
