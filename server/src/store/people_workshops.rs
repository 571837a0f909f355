//! Workshops in a person's history (issue 18): which workshops a personal key joined, as which member, and what
//! the timeline says of each. A participant's workshops are known through the breakouts they were in (the session
//! page's framed part links those); a facilitator's or an observer's through the relay's own workshop pages, whose
//! script links the member (`person_workshops`).

use super::*;
use tandem_core::workshop::Member;

/// One workshop in a person's history.
#[derive(Clone, Debug)]
pub struct WorkshopEntry {
    /// The workshop.
    pub id: String,
    /// When it was created.
    pub created_at: Millis,
    /// When it ended, if it did.
    pub ended_at: Option<Millis>,
    /// Its format (the breakouts' template's name).
    pub format: String,
    /// Its goal (may be empty).
    pub goal: String,
    /// What this person was in it.
    pub capability: Capability,
    /// That link's token.
    pub token: String,
    /// Rounds held.
    pub rounds: usize,
    /// The others who took part (participants, not removed), by name.
    pub people: Vec<String>,
}

impl WorkshopEntry {
    /// What this person did in it, after "you": "facilitated", "took part" or "observed".
    pub fn role(&self) -> &'static str {
        match self.capability {
            Capability::Host => "facilitated",
            Capability::Participant => "took part",
            Capability::Observer => "observed",
        }
    }
}

impl Store {
    /// Links the member whose browser key is `key` in workshop `workshop` to the person whose key hashes to
    /// `person` (nothing when already linked). False when the workshop has no such member.
    pub async fn link_person_workshop(
        &self,
        person: &str,
        workshop: &str,
        key: &ParticipantKey,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let Some(record) = self.workshop(workshop).await? else {
            return Ok(false);
        };
        // A member "Forget me" renamed stays forgotten (their browser still holds its key in the workshop).
        if record.state.member_by_key(key).is_none_or(|m| m.name == super::FORMER) {
            return Ok(false);
        }
        let linked =
            sqlx::query("SELECT 1 FROM person_workshops WHERE person = $1 AND workshop_id = $2 AND member_key = $3")
                .bind(person)
                .bind(workshop)
                .bind(&key.0)
                .fetch_optional(&self.pool)
                .await?;
        if linked.is_none() {
            sqlx::query(
                "INSERT INTO person_workshops (person, workshop_id, member_key, linked_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(person)
            .bind(workshop)
            .bind(&key.0)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(true)
    }

    /// Every workshop the person is known in, with their browser key there: through the breakouts they were in
    /// (the breakout's participant key is the member's key) and through the links of the workshop's pages.
    pub async fn person_workshop_keys(&self, person: &str) -> Result<Vec<(String, ParticipantKey)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.workshop_id AS workshop, p.key FROM person_participants pp \
             JOIN participants p ON p.session_id = pp.session_id AND p.id = pp.participant_id \
             JOIN sessions s ON s.id = pp.session_id WHERE pp.person = $1 AND s.workshop_id IS NOT NULL \
             UNION SELECT workshop_id AS workshop, member_key AS key FROM person_workshops WHERE person = $2 \
             ORDER BY workshop, key",
        )
        .bind(person)
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("workshop"), ParticipantKey(r.get("key"))))
            .collect())
    }

    /// The timeline's workshops, newest first.
    pub async fn person_workshops(&self, person: &str) -> Result<Vec<WorkshopEntry>, StoreError> {
        // Each workshop once, with every key this person joined it as (two devices before they were linked).
        let mut keys: std::collections::BTreeMap<String, Vec<ParticipantKey>> = std::collections::BTreeMap::new();
        for (id, key) in self.person_workshop_keys(person).await? {
            keys.entry(id).or_default().push(key);
        }
        let mut entries: Vec<WorkshopEntry> = Vec::new();
        for (id, mine) in keys {
            let Some(record) = self.workshop(&id).await? else {
                continue;
            };
            let members = record.state.members.iter();
            // The strongest link this person used in it.
            let Some(capability) = members
                .clone()
                .filter(|m| mine.contains(&m.key))
                .map(|m| m.capability)
                .max_by_key(|c| c.rank())
            else {
                continue;
            };
            let token = match capability {
                Capability::Host => record.host_token.clone(),
                Capability::Participant => record.participant_token.clone(),
                Capability::Observer => record.observer_token.clone(),
            };
            let others = |m: &&Member| !mine.contains(&m.key) && !m.removed && m.capability == Capability::Participant;
            entries.push(WorkshopEntry {
                // Its format's spec is made in the request that creates the workshop.
                created_at: record.spec.format.created_at,
                ended_at: record.state.ended_at,
                format: record.spec.format.template_name.clone(),
                goal: record.spec.format.goal.clone(),
                capability,
                token,
                rounds: record.state.rounds.len(),
                people: members.filter(others).map(|m| m.name.clone()).collect(),
                id,
            });
        }
        entries.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(entries)
    }
}
