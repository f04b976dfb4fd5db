import {type SignatureFormat} from '../config/index.js'
import {writeAttestation} from '../formats/attestation.js'
import {writeBundleAttestation, writeBundleSignature} from '../formats/bundle/index.js'
import {writeClassicSignature} from '../formats/classic-signature.js'
import {type Signer} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type Descriptor} from '../registry/types.js'

/**
 * One signature or attestation in the configured format(s): classic (`.sig`/`.att` tags, what
 * cosign 2 reads), bundle (Sigstore bundles as OCI referrers, what cosign 3 writes), or both.
 */
export interface Written {
  format: 'classic' | 'bundle'
  repository: string
  /** The cosign tag (classic) or the referrer manifest's digest (bundle). */
  location: string
  manifestDigest: string
  appended: boolean
}

export interface Subject {
  imageRepository: Repository
  signatureRepository: Repository
  /** The signed manifest. */
  descriptor: Descriptor
}

export interface SigningOptions {
  signer: Signer
  format: SignatureFormat
  dockerMediaTypes: boolean
}

const formatsOf = (format: SignatureFormat): ('classic' | 'bundle')[] => (format === 'both' ? ['classic', 'bundle'] : [format])

export async function writeSignature(client: RegistryClient, subject: Subject, annotations: Record<string, string>, options: SigningOptions): Promise<Written[]> {
  const written: Written[] = []
  for (const format of formatsOf(options.format)) {
    if (format === 'classic') {
      const result = await writeClassicSignature(client, {
        imageRepository: subject.imageRepository,
        digest: subject.descriptor.digest,
        signatureRepository: subject.signatureRepository,
        signer: options.signer,
        annotations,
        dockerMediaTypes: options.dockerMediaTypes,
      })
      written.push({format, repository: repositoryName(result.repository), location: result.tag, manifestDigest: result.manifestDigest, appended: result.appended})
    } else {
      const result = await writeBundleSignature(client, {...bundleTarget(subject, options), annotations})
      written.push({format, repository: repositoryName(result.repository), location: result.referrerDigest, manifestDigest: result.referrerDigest, appended: result.appended})
    }
  }

  return written
}

export async function writeSbomAttestation(
  client: RegistryClient,
  subject: Subject,
  predicateType: string,
  predicate: Buffer,
  options: SigningOptions,
): Promise<Written[]> {
  const written: Written[] = []
  for (const format of formatsOf(options.format)) {
    if (format === 'classic') {
      const result = await writeAttestation(client, {
        imageRepository: subject.imageRepository,
        digest: subject.descriptor.digest,
        attestationRepository: subject.signatureRepository,
        predicateType,
        predicate,
        signer: options.signer,
        dockerMediaTypes: options.dockerMediaTypes,
      })
      written.push({format, repository: repositoryName(result.repository), location: result.tag, manifestDigest: result.manifestDigest, appended: result.appended})
    } else {
      const result = await writeBundleAttestation(client, {...bundleTarget(subject, options), predicateType, predicate})
      written.push({format, repository: repositoryName(result.repository), location: result.referrerDigest, manifestDigest: result.referrerDigest, appended: result.appended})
    }
  }

  return written
}

function bundleTarget(subject: Subject, options: SigningOptions) {
  return {
    imageRepository: subject.imageRepository,
    digest: subject.descriptor.digest,
    descriptor: subject.descriptor,
    signatureRepository: subject.signatureRepository,
    signer: options.signer,
  }
}
